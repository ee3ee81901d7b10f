"""Build the real clinic list Keel ships: SAMHSA's 2017 opioid treatment programs, as a Keel facility CSV.

Run by hand when the source changes (never at test or run time; Keel reads only the file this writes):

    python tools/build_samhsa_otp.py 2017.csv all_zip_centroids.csv \
        > src/keel/directory/demo_data/samhsa-otp-2017.csv

Inputs (public GitHub repository GeoDaCenter/opioid-policy-scan: commit
6acae3d70e39abe1a60731e044de691feb3bc6f8 for `MOUD_scraping/2017.csv`, commit
898e8c5e5a131e407b0fe545715dfde9fefe0a89 for `MOUD_scraping/metrics/all_zip_centroids.csv` and for
`MOUD_scraping/abbr_key.json`, the code key):
- the 2017 "National Directory of Drug and Alcohol Abuse Treatment Facilities" (SAMHSA, a US government work
  in the public domain), scraped from its PDF into CSV: Year,Page,Center_name,Street_address,City,State,
  Postal_code,Phone,Keys (Keys: SAMHSA's service codes, the directory's legend);
- ZIP code centroids (GEOID = ZIP, Y = latitude, X = longitude).

Kept: the rows whose Keys hold `OTP` (SAMHSA-certified opioid treatment program). Skipped: rows the PDF scrape
mangled (a code that is not in the legend, a state that is not two letters, a ZIP that is not five digits
after restoring leading zeros, no ZIP centroid). Positions are the ZIP code's centroid, not the address.
"""

from __future__ import annotations

import csv
import io
import re
import sys

# A SAMHSA code: capitals (METH, OTP, SP) or a language code (F25, N13). A Keys cell with any other word (an
# address, a phone number, "Intake:") is a row the PDF scrape ran into the next one.
CODE = re.compile(r"^(?:[A-Z]{2,5}|[FN]\d{1,3})$")
STATE = re.compile(r"^[A-Z]{2}$")
PHONE = re.compile(r"\(\d{3}\) \d{3}-\d{4}(?:x\d+)?")

# SAMHSA code -> Keel service (keel.core.directory.feeds.SERVICES).
SERVICE_CODES = {
    "otp": {"METH", "MM", "MMW", "DM"},  # Keel's "otp" reads "Methadone (opioid treatment program)"
    "buprenorphine": {"BU", "BUM", "BMW", "DB", "UBN"},
    "naltrexone": {"NXN", "VTRL", "RPN"},
    "withdrawal": {"DT", "OD", "RD", "HID"},
    "outpatient": {"OP", "ORT"},
    "intensive_outpatient": {"OIT"},
    "residential": {"RES", "RS", "RL"},
    "counseling": {"SACA"},
    "peer_support": {"PEER"},
}
PAYMENT_CODES = {
    "medicaid": {"MD"},
    "medicare": {"MC"},
    "private": {"PI"},
    "sliding_fee": {"SS"},
    "self_pay": {"SF"},
    "free": {"NP"},
}
COLUMNS = (
    "id,name,street,city,state,zip,latitude,longitude,phone,website,services,payment,languages,data_as_of"
)
DATA_AS_OF = "2017-03-31"  # the 2017 directory lists facilities as surveyed in N-SSATS up to March 2017


LIGATURES = (
    ("\u02dc", "ff"),  # small tilde: Jefferson, Affairs
    ("\u02da", "ffi"),  # ring above: Office
    ("\u02db", "Th"),  # ogonek: The
    ("\u02dd", "fi"),  # double acute: detoxification
    ("\u02d9", "ff"),  # dot above: staff
    ("\u02c6", "ft"),  # circumflex: Tifton, Soft, Aftercare
    ("\u02c7", "Q"),  # caron: Quincy, Queen
)


def _clean(text: str) -> str:
    # The scrape kept the PDF's ligature glyphs in place of letters: "Je\u02dcerson" is Jefferson.
    for glyph, letters in LIGATURES:
        text = text.replace(glyph, letters)
    return " ".join(text.split())


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def centroids(text: str) -> dict[str, tuple[float, float]]:
    out = {}
    for row in csv.DictReader(io.StringIO(text)):
        out[row["GEOID"].zfill(5)] = (round(float(row["Y"]), 4), round(float(row["X"]), 4))
    return out


def build(directory: str, zips: dict[str, tuple[float, float]]) -> tuple[list[list[str]], list[str]]:
    rows: list[list[str]] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for n, row in enumerate(csv.DictReader(io.StringIO(directory))):
        keys = (row.get("Keys") or "").split()
        if "OTP" not in keys:
            continue
        name = _clean(row.get("Center_name") or "")
        state = (row.get("State") or "").strip()
        postal = (row.get("Postal_code") or "").strip().zfill(5)
        why = ""
        if not all(CODE.match(k) for k in keys):
            why = "keys hold words that are not codes"
        elif not STATE.match(state):
            why = f"state {state!r}"
        elif not re.fullmatch(r"\d{5}", postal):
            why = f"ZIP {postal!r}"
        elif postal not in zips:
            why = f"no centroid for ZIP {postal}"
        elif not name or name.startswith("For Code Definitions"):
            why = "no name"
        if why:
            skipped.append(f"row {n + 2}: {name[:60]!r}: {why}")
            continue
        phone = PHONE.search(row.get("Phone") or "")
        key_set = set(keys)
        street = _clean(row.get("Street_address") or "")
        source_id = f"{state}-{postal}-{_slug(name)[:50]}-{_slug(street)[:30]}".strip("-")
        if source_id in seen:
            skipped.append(f"row {n + 2}: {name[:60]!r}: listed twice")
            continue
        seen.add(source_id)
        lat, lon = zips[postal]
        rows.append(
            [
                source_id,
                name,
                street,
                _clean(row.get("City") or ""),
                state,
                postal,
                f"{lat:.4f}",
                f"{lon:.4f}",
                phone.group(0) if phone else "",
                "",
                ";".join(s for s, codes in SERVICE_CODES.items() if key_set & codes),
                ";".join(p for p, codes in PAYMENT_CODES.items() if key_set & codes),
                "en;es" if "SP" in key_set else "en",
                DATA_AS_OF,
            ]
        )
    return rows, skipped


HEADER = """\
# Opioid treatment programs (SAMHSA-certified) from SAMHSA's 2017 National Directory of Drug and Alcohol Abuse
# Treatment Facilities. Source: Substance Abuse and Mental Health Services Administration (SAMHSA), 2017; a US
# government work in the public domain ("All material ... is in the public domain" - SAMHSA). Scraped from the
# PDF by the GeoDa Center (github.com/GeoDaCenter/opioid-policy-scan, MOUD_scraping/2017.csv); built by
# tools/build_samhsa_otp.py. Positions are ZIP code centroids (approximate), not the street address.
# As of 2017 - call before you go. {count} programs; {skipped} rows skipped (mangled by the PDF scrape).
"""


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        directory = f.read()
    with open(argv[2], encoding="utf-8") as f:
        zips = centroids(f.read())
    rows, skipped = build(directory, zips)
    out = io.StringIO()
    out.write(HEADER.format(count=len(rows), skipped=len(skipped)))
    out.write(COLUMNS + "\n")
    csv.writer(out, lineterminator="\n").writerows(rows)
    sys.stdout.write(out.getvalue())
    for line in skipped:
        print(line, file=sys.stderr)
    print(f"{len(rows)} programs, {len(skipped)} skipped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
