"""sdmission: system-dynamics scenarios for the decarbonisation and circularity of Dutch industry."""

__version__ = "0.1.0"
