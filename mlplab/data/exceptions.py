"""The one exception the data layer raises for missing, truncated or corrupt data."""

from __future__ import annotations


class DataError(ValueError):
    """A data file or data set is missing, truncated, corrupt or not what was expected.

    The message always names the file or directories involved, what was
    expected there and what was found instead, and where it helps, how to fix it.
    """
