#!/usr/bin/env bash
# Follows README.md literally in a clean clone: its two set-up commands (`make test`,
# `make reproduce`), then, in a new shell that only activates .venv as the README says, every
# command the README shows (on quick settings where a command would train for long), and the
# README's Python snippets. Fails on the first command that fails, and when the README shows a
# shell command that this script neither runs nor lists as skipped (so the two cannot drift).
#
# Usage: scripts/check_readme.sh [REPO]      (default: this repository, its committed HEAD)
# Environment:
#   DLHW_DATA_DIR          offline data (CI); a user's data is in the cache (`dlhw data fetch`)
#   README_PYTEST_ARGS     what `make test` runs (default: the whole suite)
#   README_REPRODUCE_ARGS  what `make reproduce` runs (default: --quick)
#   README_NETWORK=1       also run the `dlhw data fetch` commands (needs the internet)
#   KEEP=1                 keep the temporary clone (its path is printed)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
src=${1:-$here}
work=$(mktemp -d "${TMPDIR:-/tmp}/dlhw-readme.XXXXXX")
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "clone kept in $work" >&2; fi
git clone -q "$src" "$work/dlhw"
cd "$work/dlhw"
export DLHW_CACHE_DIR="$work/cache"   # the user's own cache stays untouched
step() { printf '\n== %s\n' "$*" >&2; }

step "make test ${README_PYTEST_ARGS:-}"
make test PYTEST_ARGS="${README_PYTEST_ARGS:-}"
step "make reproduce REPRODUCE_ARGS=\"${README_REPRODUCE_ARGS:---quick}\""
make reproduce REPRODUCE_ARGS="${README_REPRODUCE_ARGS:---quick}"

# EMNIST Letters is often absent offline: the 2025-26 shims then run on Fashion-MNIST.
letters=""
if ! .venv/bin/python -c 'import sys; from dlhw.data import find; sys.exit(find("emnist-letters") is None)'; then
    letters="--dataset fashion-mnist"
fi

# Every README command, as written, in a fresh shell that only activates .venv (extra flags after
# the written command make it quick). One per line: "README command<TAB>extra flags".
commands=$(cat <<EOF
dlhw --version
.venv/bin/dlhw --version
dlhw list
dlhw data list
dlhw run hw2122.q3.1a --help
dlhw run hw2122.q2.2a	--quick
dlhw run hw2122.q2.2a	--quick -v
dlhw report
dlhw reproduce --help
dlhw export tensorboard runs/ --out tb
python hw1-q2.py linear_regression	-quick
python hw1-q3.py perceptron	-quick
python hw1-q4.py mlp	-quick -epochs 1
python hw1-perceptron.py --epochs 20 --save-path best.npz --accuracy-plot acc.pdf	--quick $letters
python hw1-logistic-regression.py --learning-rate 0.0001 --l2-penalty 0.00001	--quick $letters
python hw1-mlp.py --hidden-size 100	--quick --epochs 2 $letters
python hw1-ffn.py -hidden_size 64 -layers 1 -optimizer adam -dataset fashion-mnist	-quick -epochs 1
EOF
)
# Shown in the README but not run here, with the reason.
skipped=$(cat <<'EOF'
make reproduce	run above (the set-up command)
make test	run above (the set-up command)
. .venv/bin/activate	every command below runs after it
dlhw data fetch fashion-mnist	needs the internet (README_NETWORK=1 runs it)
dlhw data fetch ames	needs the internet (README_NETWORK=1 runs it)
dlhw data fetch emnist-letters	needs the internet (README_NETWORK=1 runs it)
ray start --head --port 6379	needs a Ray cluster
ray start --address HEAD_IP:6379	needs a Ray cluster
dlhw run hw2526.q2.2a --backend ray --address HEAD_IP:6379 --jobs 8 [--ship-data] [--device cuda --num-gpus 1]	needs a Ray cluster
EOF
)
if [ -n "${README_NETWORK:-}" ]; then
    commands+=$'\n'"dlhw data fetch fashion-mnist"$'\n'"dlhw data fetch ames"$'\n'"dlhw data fetch emnist-letters"
fi

step "every shell command of README.md is run or skipped with a reason"
COMMANDS="$commands" SKIPPED="$skipped" .venv/bin/python - <<'EOF'
import os, re, sys
text = open("README.md", encoding="utf-8").read()
shown = []
for block in re.findall(r"```sh\n(.*?)```", text, re.S):
    for line in block.splitlines():
        cmd = line.split("#", 1)[0].strip()
        if cmd:
            shown.append(cmd)
known = {ln.split("\t")[0].strip() for ln in (os.environ["COMMANDS"] + "\n" + os.environ["SKIPPED"]).splitlines()}
missing = [c for c in shown if c not in known]
if missing:
    sys.exit("README.md shows commands that scripts/check_readme.sh neither runs nor skips:\n  "
             + "\n  ".join(missing))
print(f"{len(shown)} README commands: all covered", file=sys.stderr)
EOF

step "in a new shell: . .venv/bin/activate, then the README's commands"
while IFS=$'\t' read -r cmd extra; do
    [ -n "$cmd" ] || continue
    step "$cmd ${extra:-}"
    env -i HOME="$HOME" PATH=/usr/local/bin:/usr/bin:/bin TERM=dumb LANG=C.UTF-8 \
        ${DLHW_DATA_DIR:+DLHW_DATA_DIR="$DLHW_DATA_DIR"} DLHW_CACHE_DIR="$DLHW_CACHE_DIR" \
        bash -c ". .venv/bin/activate && $cmd ${extra:-}" </dev/null
done <<< "$commands"

step "the README's Python snippets"
.venv/bin/python - <<'EOF'
import re, subprocess, sys
text = open("README.md", encoding="utf-8").read()
for i, code in enumerate(re.findall(r"```python\n(.*?)```", text, re.S), 1):
    print(f"-- snippet {i}", file=sys.stderr)
    subprocess.run([sys.executable, "-c", code], check=True)
EOF
step "README.md followed literally: every command worked"
