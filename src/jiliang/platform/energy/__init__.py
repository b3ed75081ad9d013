"""Energy metering of key energy-using units (重点用能单位能源计量, plan §14): surveys of the
energy measuring instruments each unit has, against the configuration rates GB 17167-2006
requires by level and energy type, and the region's configuration-rate indicator."""
