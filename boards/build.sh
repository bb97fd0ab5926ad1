#!/usr/bin/env bash
# Build every board example (`cargo build --release`, linked, so the sizes
# are real; clippy with warnings as errors) and print each image's flash
# and static RAM (boards/size.py).
# Run from anywhere; CI runs it from .ci/run.
set -euo pipefail
cd "$(dirname "$0")"

# board directory, target, binary name
boards=(
    "esp32c3 riscv32imc-unknown-none-elf ferrodot-esp32c3"
    "pico-w thumbv6m-none-eabi ferrodot-pico-w"
    "nucleo-f767zi thumbv7em-none-eabihf ferrodot-nucleo-f767zi"
)

for entry in "${boards[@]}"; do
    read -r dir target _bin <<<"$entry"
    # The board's own toolchain (rust-toolchain.toml), with its target.
    (cd "$dir" && rustup target add "$target" >/dev/null 2>&1 || true)
done

sizes=()
for entry in "${boards[@]}"; do
    read -r dir target bin <<<"$entry"
    start=$(date +%s)
    (cd "$dir" && cargo build --release --locked && cargo clippy --release --locked -- -D warnings)
    echo "$dir: built in $(($(date +%s) - start)) s"
    sizes+=("$(python3 size.py "${CARGO_TARGET_DIR:-../target}/$target/release/$bin" "$dir ($target)")")
done
printf '%s\n' "${sizes[@]}"
