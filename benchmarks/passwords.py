"""Cost of the password policy (`python -m benchmarks.passwords`): list load, memory, time per check.

Measured in a fresh process, as a worker meets it: the first check loads the list of common
passwords (and zxcvbn); later checks pay only the variations and zxcvbn's estimate. Prints one
line per measurement; the figures are for the README and the lead, not asserted anywhere.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Lengths from the minimum to the maximum: zxcvbn's time grows with the length.
SAMPLES = (
    "password1234567890",
    "korrekt-hest-batteri-klips",
    "KarenLund1985!!!!",
    "mit hus er grønt og har syv vinduer",
    "Q8$" + "en lang sætning med mellemrum og æøå " * 3,
    "z" + "y9" * 63 + "w",
)


def rss_mb() -> float:
    """Return this process's resident set size in MB (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main(argv: list[str] | None = None) -> None:
    """Measure and print the policy's first-use cost and its time per check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="checks per sample password")
    args = parser.parse_args(argv)
    from core import passwords

    before = rss_mb()
    started = time.perf_counter()
    passwords.policy_errors("første-kontrol-indlæser-listen", email="karen.lund@kommune.dk", name="Karen Lund")
    first = time.perf_counter() - started
    print(f"first check (loads {len(passwords.common_passwords()):,} listed passwords and zxcvbn): "
          f"{first * 1000:.0f} ms, RSS +{rss_mb() - before:.1f} MB")
    for sample in SAMPLES:
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            passwords.policy_errors(sample, email="karen.lund@kommune.dk", name="Karen Lund")
            times.append(time.perf_counter() - started)
        print(f"{len(sample):4d} characters: median {statistics.median(times) * 1000:6.1f} ms, "
              f"max {max(times) * 1000:6.1f} ms  ({sample[:20]!r}...)")


if __name__ == "__main__":
    main()
