"""Reference numbers for the three-process fatigue index (wellbeing.core.fatigue), computed here in closed
form, episode by episode, from the published equations — independently of the module's 15-minute grid.

Published values reproduced (Åkerstedt & Folkard 1997, Chronobiol Int 14:115-123; Åkerstedt, Folkard &
Portin 2004, Aviat Space Environ Med 75:A75-A83; parameters as in Ingre et al. 2014, PLoS ONE 9:e108679,
Table 1):

* eight hours of sleep from S = 7.96 recover S to 14.0 (the calibration of the recovery rate);
* the circadian component is +2.5 at its acrophase 16:48 and -2.5 at 04:48;
* sleep inertia is -5.72 at waking and has fallen to -5.72·e^-1.51 = -1.26 one hour later;
* KSS = 10.6 - 0.6 A.

Scenario (the roster rule of the module): an officer with no duty sleeps 23:00-07:00 every night from
2024-01-01 00:00 (S = 14.0, asleep) and on 2024-01-08 works 19:00-07:00 (commute 1 h each side: the
23:00-07:00 sleep of that night is lost). Output: KSS at each full hour of 2024-01-08 07:00 ..
2024-01-09 07:00 local (Asia/Almaty, UTC+6 in January). Run:

    python tests/reference/fatigue_reference.py > tests/reference/fatigue_reference.csv
"""

import math

LA, HA, D = 2.4, 14.3, 0.0353
G = -math.log((14.3 - 14.0) / (14.3 - 7.96)) / 8
CA, P, WC, WD = 2.5, 16.8, -5.72, 1.51


def wake(s0, h):
    return LA + (s0 - LA) * math.exp(-D * h)


def sleep(s0, h):
    return HA - (HA - s0) * math.exp(-G * h)


def kss(a):
    return min(9.0, max(1.0, 10.6 - 0.6 * a))


def main():
    s = 14.0
    s = sleep(s, 7)              # 2024-01-01 00:00-07:00 asleep
    for _ in range(6):           # Jan 1..6: wake 07-23, sleep 23-07
        s = sleep(wake(s, 16), 8)
    s = sleep(wake(s, 16), 8)    # Jan 7 day and the night to Jan 8 07:00
    s_wake = s                   # awake from 2024-01-08 07:00 through the night duty
    print("hour_from_0700_jan8,clock_h,S,C,W,alertness,kss")
    for h in range(0, 25):
        clock = (7 + h) % 24
        S = wake(s_wake, h)
        C = CA * math.cos(2 * math.pi * (clock - P) / 24)
        W = WC * math.exp(-WD * h)
        A = S + C + W
        print(f"{h},{clock},{S:.6f},{C:.6f},{W:.6f},{A:.6f},{kss(A):.6f}")


if __name__ == "__main__":
    main()
