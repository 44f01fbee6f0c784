"""Grid-zone magnitudes for the synthetic generator, taken from the real 2022 data.

Means and standard deviations come from ../shared/data (PROVENANCE.md there):
carbon intensity from ``carbon_intensity_lca_gco2eq_per_kwh_2022_hourly.csv`` (Electricity Maps,
ODbL), prices from ``electricity_price_2022_hourly.csv`` converted at the fixed 2022 rates
(1 EUR = 1.05 USD, 1 SGD = 0.725 USD, 1 JPY = 0.0076 USD), temperatures from
``weather_openmeteo_2022_hourly.csv`` (Open-Meteo, CC BY 4.0). The solar and wind shares of
the zone's supply are rounded judgements from ``renewable_share_pct_2022_hourly.csv`` and
EIA-930 (they set how strongly price and carbon follow net load); they are not measurements.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ZoneProfile:
    """Statistics of one grid zone used to shape synthetic traces."""

    price_mean_usd_per_mwh: float
    price_std_usd_per_mwh: float
    carbon_mean_g_per_kwh: float
    carbon_std_g_per_kwh: float
    carbon_min_g_per_kwh: float
    solar_share: float
    wind_share: float
    temperature_mean_c: float
    temperature_season_amp_c: float
    temperature_daily_amp_c: float
    cloudiness: float


ZONES: dict[str, ZoneProfile] = {
    # price std is capped at about 0.6 x mean: the real 2022 std is dominated by rare spikes,
    # which the generator adds separately.
    "US-CAL-CISO": ZoneProfile(89.0, 45.0, 262.3, 77.3, 88.8, 0.25, 0.08, 15.2, 6.0, 7.0, 0.25),
    "US-TEX-ERCO": ZoneProfile(64.3, 38.0, 399.5, 83.3, 129.6, 0.06, 0.25, 19.9, 9.0, 6.0, 0.4),
    "US-MIDA-PJM": ZoneProfile(89.5, 50.0, 424.5, 42.0, 313.2, 0.03, 0.04, 13.1, 11.0, 5.0, 0.5),
    "US-NY-NYIS": ZoneProfile(94.5, 45.0, 281.2, 31.0, 183.2, 0.03, 0.04, 12.4, 11.0, 5.0, 0.55),
    "GB": ZoneProfile(255.5, 110.0, 222.0, 79.1, 40.4, 0.05, 0.27, 11.9, 6.0, 4.0, 0.65),
    "DE-LU": ZoneProfile(247.1, 120.0, 477.9, 133.3, 163.4, 0.11, 0.23, 12.1, 9.0, 5.0, 0.6),
    "SG": ZoneProfile(212.9, 90.0, 491.5, 7.4, 462.9, 0.01, 0.0, 27.0, 1.0, 3.5, 0.6),
    "JP-TK": ZoneProfile(198.5, 90.0, 549.7, 71.2, 207.6, 0.10, 0.01, 15.4, 10.0, 4.0, 0.5),
}


def zone_profile(zone: str) -> ZoneProfile:
    """Look up a zone; unknown zones raise KeyError naming the known ones."""
    try:
        return ZONES[zone]
    except KeyError:
        raise KeyError(
            f"no synthetic profile for zone '{zone}' (known: {', '.join(sorted(ZONES))})"
        ) from None
