#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers that face input: the HTTP request parser, the JSON
# parser, the Mustache tokenizer/compiler/renderer, the DNS reply reader of domain
# verification and the readers of providers' delivery events (harnesses in fuzz/).
#
#   deploy/fuzz.sh [MINUTES] [TARGET...]   run each target MINUTES (default 1) minutes
#   deploy/fuzz.sh --smoke [TARGET...]     10 seconds each: the CI-sized pass
#   FUZZ_SECONDS=N deploy/fuzz.sh ...      any duration in seconds
#   deploy/fuzz.sh --replay [TARGET...]    no fuzzing: run every seed once (libFuzzer -runs=0)
#
# TARGET is json, http, mustache, dns or events (default: all five, one after another). Fails on any
# crash, trap, invariant failure, sanitizer report, timeout or out-of-memory; the input
# that caused it is left in .build/fuzz/artifacts/ (reproduce: the binary with that file).
# Each target is built with `swiftc -sanitize=fuzzer,address` from its module's sources
# plus its harness, outside SwiftPM, so `swift build` and `swift test` never see fuzz/.
# Seeds come from fuzz/corpus/TARGET; what libFuzzer finds stays in .build/fuzz/corpus.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$(herald_root)"

seconds=${FUZZ_SECONDS:-60}
runs=()
if [ "${1:-}" = "--smoke" ]; then seconds=10; shift
elif [ "${1:-}" = "--replay" ]; then runs=(-runs=0); shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds=$(( $1 * 60 )); shift
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(json http mustache dns events)

out=.build/fuzz
mkdir -p "$out/lib" "$out/artifacts" "$out/logs"
# -O keeps Swift's overflow and bounds checks; lld avoids gold's noise about ASan symbols.
flags=(-sanitize=fuzzer,address -parse-as-library -O -swift-version 6 -use-ld=lld)

compile() {  # compile OUTPUT SWIFTC-ARGUMENTS...: quiet unless it fails
  local output=$1; shift
  if ! swiftc "${flags[@]}" "$@" -o "$output" >"$out/logs/build.log" 2>&1; then
    cat "$out/logs/build.log" >&2; return 1
  fi
}

declare -A built=()
library() {  # library MODULE [SWIFTC-ARGUMENTS...]: an instrumented static library of Sources/MODULE, once per run
  local module=$1; shift
  [ -n "${built[$module]:-}" ] && return 0
  compile "$out/lib/lib$module.a" -module-name "$module" -emit-library -static -emit-module \
    -emit-module-path "$out/lib/$module.swiftmodule" "$@" "Sources/$module"/*.swift
  built[$module]=1
}

build() {
  case $1 in
    json) compile "$out/json-fuzz" -module-name JSON Sources/JSON/*.swift fuzz/JSON/*.swift ;;
    http)
      # HTTP imports Basics (its lock and Duration conversions): built first as a library, as for Mustache.
      library Basics
      compile "$out/http-fuzz" -module-name HTTP -I "$out/lib" -L "$out/lib" -lBasics \
        Sources/HTTP/*.swift fuzz/HTTPParser/*.swift ;;
    mustache)
      # Mustache imports JSON, so JSON is built as its own (instrumented) module first.
      library JSON
      compile "$out/mustache-fuzz" -module-name Mustache -I "$out/lib" -L "$out/lib" -lJSON \
        Sources/Mustache/*.swift fuzz/Mustache/*.swift ;;
    dns)
      # The reader and its lookup type only, through the CResolv shim (libresolv does the walking).
      compile "$out/dns-fuzz" -module-name DNSReply -I Sources/CResolv \
        Sources/API/DNSMessage.swift Sources/API/DNSTXTLookup.swift fuzz/DNS/*.swift ;;
    events)
      # The delivery-event readers and the form decoder only, over instrumented JSON and Crypto
      # (OpenSSL through the COpenSSL shim, for the digest keys).
      library JSON
      library Crypto -I Sources/COpenSSL
      compile "$out/events-fuzz" -module-name DeliveryEvents -I "$out/lib" -I Sources/COpenSSL -L "$out/lib" -lJSON -lCrypto -lcrypto \
        Sources/Delivery/DeliveryEvent.swift Sources/Delivery/DeliveryEvent+Parsing.swift \
        Sources/Delivery/DeliveryEvent+Providers.swift Sources/Delivery/FormDecoding.swift fuzz/DeliveryEvents/*.swift ;;
    *) echo "unknown fuzz target '$1' (json, http, mustache, dns, events)" >&2; return 64 ;;
  esac
}

# The Swift runtime's own crash handler fights ASan's; libFuzzer reports crashes itself.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}

failed=()
for target in "${targets[@]}"; do
  log "building the $target fuzzer"
  build "$target"
  mkdir -p "$out/corpus/$target"
  corpora=("$out/corpus/$target" "fuzz/corpus/$target")
  if [ ${#runs[@]} -gt 0 ]; then
    corpora=("fuzz/corpus/$target")
    log "replaying the $target seeds (log: $out/logs/$target.log)"
  else
    log "fuzzing $target for ${seconds}s (log: $out/logs/$target.log)"
  fi
  # -timeout: one input taking 10 s is a hang (every harness bounds its work far below that).
  # New inputs go to the first corpus folder; the committed seeds are only read.
  if "$out/$target-fuzz" -max_total_time="$seconds" ${runs[@]+"${runs[@]}"} -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$out/artifacts/$target-" \
      "${corpora[@]}" >"$out/logs/$target.log" 2>&1; then
    grep -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb' "$out/logs/$target.log" >&2 || true
  else
    grep -B2 -A30 -E 'ERROR|Fatal error|==[0-9]+==' "$out/logs/$target.log" | head -60 >&2 || tail -40 "$out/logs/$target.log" >&2
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  log "fuzzing found problems in: ${failed[*]} (inputs in $out/artifacts/)"
  exit 1
fi
log "no findings in ${targets[*]}"
