from django.db import models


class Row(models.Model):
    """One row with a few columns, about the width of a check-in."""

    name = models.CharField(max_length=100)
    score = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
