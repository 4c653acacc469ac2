"""The demonstration pilot (``flask demo seed``): Kazakhstan's 20 regions, ~150 units, simulated waves.

- :mod:`.model` — the documented generative model (every constant in one place; ``docs/demo.md``);
- :mod:`.structure` — regions, departments and units with headcounts, shift patterns and intercepts;
- :mod:`.seed` — writing it all through the same services the CLI and the web pages use.

Pure parts (model, structure) use no Flask and no database, so analyses can be checked against them.
"""
