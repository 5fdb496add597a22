#!/usr/bin/env bash
# Install the Debian packages named as arguments when they are missing.
# As root it runs apt-get itself; otherwise it prints the exact command and stops.
set -euo pipefail
missing=()
for pkg in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "缺少系统软件包：${missing[*]}（本机没有 apt-get，请用系统的包管理器安装）" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "缺少系统软件包：${missing[*]}" >&2
  echo "请先运行：sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "正在安装系统软件包：${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
