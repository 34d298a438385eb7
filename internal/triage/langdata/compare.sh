#!/bin/sh
# Runs compare.go in a throw-away module (lingua-go and whatlanggo are not
# dependencies of the main module). Usage: sh internal/triage/langdata/compare.sh
set -e
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
mkdir -p "$tmp/triage/testdata"
cp "$src"/language*.go "$src"/doc.go "$tmp/triage/"
rm -f "$tmp"/triage/*_test.go
cp -r "$src/langdata" "$tmp/triage/"
cp -r "$src/testdata/language" "$tmp/triage/testdata/"
sed '1,2d' "$src/langdata/compare.go" >"$tmp/main.go" # without the build constraint
cd "$tmp"
go mod init langcompare >/dev/null 2>&1
go get github.com/pemistahl/lingua-go@v1.4.0 github.com/abadojack/whatlanggo@v1.0.1 >/dev/null 2>&1
go build -o compare .
./compare
cd / && rm -rf "$tmp"
