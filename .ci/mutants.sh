#!/usr/bin/env bash
# Mutation testing of the runtime's decision code with cargo-mutants: each mutant (a function
# body replaced, an operator flipped) must make a test fail. Fails when the score, the share of
# viable mutants the tests catch (caught + timed out) / (caught + timed out + missed), drops below
# the recorded one (MIN_SCORE below), and lists the mutants that survived.
#
#   bash .ci/mutants.sh                  # all six files (slow: about a minute a mutant on 2 cores)
#   bash .ci/mutants.sh src/redact.rs    # some of them (the score is then not compared)
#
# Not in .ci/run: 179 mutants at about a minute each is three hours on CI's two cores. Run it
# after changing these files, and raise MIN_SCORE when tests kill more.
#
# It mutates the source tree in place (restored after each mutant) so that it reuses target/;
# run it on a clean checkout. Debug info is off (CARGO_PROFILE_DEV_DEBUG=0) to cut link time,
# which rebuilds the dependencies once.
set -euo pipefail
cd "$(dirname "$0")/.."

# The score recorded after the last full run (see the survivors in CHANGELOG.md / the PR note).
MIN_SCORE=${MIN_SCORE:-0}
FILES=(src/retry.rs src/outcome.rs src/validate.rs src/redact.rs src/base_url.rs src/call.rs)
# The test targets that exercise these files; cli (the binary), tls, examples and doctests are
# left out to keep each mutant's build short.
# (Given as --cargo-arg: cargo-mutants passes what follows `--` to the test binaries, not to cargo.)
TESTS=()
for t in --lib --test=retry --test=reliability --test=faults --test=errors --test=wire --test=validation \
    --test=secrets --test=trace_secrets --test=mock --test=proxy; do
    TESTS+=(--cargo-arg="$t")
done

if ! command -v cargo-mutants >/dev/null 2>&1; then
    cargo install --locked cargo-mutants@27.1.0
fi

full=true
if [ $# -gt 0 ]; then
    FILES=("$@")
    full=false
fi
args=()
for f in "${FILES[@]}"; do args+=(--file "$f"); done

out=$(mktemp -d)
status=0
CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1} CARGO_PROFILE_DEV_DEBUG=0 nice -n 10 \
    cargo mutants --in-place --no-shuffle --timeout 60 --build-timeout 600 --output "$out" "${args[@]}" \
    "${TESTS[@]}" || status=$?
# cargo-mutants exits 2 when mutants survive, 3 on timeouts; anything else is a failure to run.
case $status in 0 | 2 | 3) ;; *) echo "error: cargo mutants failed (exit $status)" >&2; exit 1 ;; esac

count() { grep -c . "$out/mutants.out/$1.txt" 2>/dev/null || true; }
caught=$(count caught); timeout=$(count timeout); missed=$(count missed); unviable=$(count unviable)
viable=$((caught + timeout + missed))
score=$(python3 -c "print(f'{100 * ($caught + $timeout) / max($viable, 1):.1f}')")
echo "mutants: $caught caught, $timeout timed out, $missed missed, $unviable unviable; score $score %"
if [ "$missed" -gt 0 ]; then
    echo "survivors:"
    sed 's/^/  /' "$out/mutants.out/missed.txt"
fi
if $full && python3 -c "import sys; sys.exit(0 if $score < $MIN_SCORE else 1)"; then
    echo "error: mutation score $score % is below the recorded $MIN_SCORE %: a test no longer catches what it did" >&2
    exit 1
fi
