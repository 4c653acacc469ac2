"""Compare the constants of wellbeing.core.fatigue with the published three-process-model parameters
(fatigue_published.csv: Ingre et al. 2014 Table 1, restated by the FIPS documentation, Wilson et al.
2020) and print one line per quantity with the difference. Exit status 1 if any is outside its tolerance.

No published worked example of predicted alertness over a roster (a table of S, C, W or KSS by hour)
could be obtained for this check; the hour-by-hour reference (fatigue_reference.py / .csv) is our own
closed-form computation from these published equations. Run from the repository root:

    python tests/reference/fatigue_published.py
"""

import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

from wellbeing.core import fatigue  # noqa: E402


def module_value(name: str) -> float:
    """The module's value of a quantity: a constant's name, or the circadian mesor (mean of C over a day)."""
    if name == "(mean of C over 24 h)":
        return float(np.mean(fatigue.alertness_components(np.arange(96) / 4, 0.0, np.nan)))
    return float(getattr(fatigue, name))


def main() -> int:
    bad = 0
    with open(Path(__file__).with_name("fatigue_published.csv"), encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            pub, tol = float(row["published"]), float(row["tolerance"])
            name = row["module_name"]
            ours = module_value(name)
            diff = ours - pub
            ok = abs(diff) <= tol + 1e-12
            bad += not ok
            print(f"{row['quantity']:<45} published {pub:>8g}  module {ours:>10.6g}  diff {diff:+.2e}  "
                  f"{'ok' if ok else 'OUTSIDE tolerance ' + row['tolerance']}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
