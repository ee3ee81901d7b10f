"""Quality measures: plain Python over dates (no Django, no clock). `coverage` joins medication days into
episodes; `program` computes a program's measures for its director; `hedis` holds the IET and POD rules."""
