"""Outlook to 2040: the IEA's projected supply by country and scenario demand, joined to one importer's needs.

* :mod:`critmin.outlook.iea` — scenarios, years, and which IEA demand figure each supply stage meets;
* :mod:`critmin.outlook.concentration` — projected HHI, top-3 and China share; the world balance per scenario;
* :mod:`critmin.outlook.need` — a party's need on the IEA's contained basis, grown with world demand;
* :mod:`critmin.outlook.sourcing` — can partners supply it within the 65% cap in 2030/2035 (HiGHS LP);
* :mod:`critmin.outlook.crma` — the EU CRMA 2030 benchmarks for the EU27, Japan and JPN+ITA.

The 2030-2040 supply figures are the IEA's base case (May 2024), not critmin's forecasts.
"""
