# The setup-python stand-in: a `python` on PATH whose `-m pip` is the pip stand-in.
set -euo pipefail
bin="${RUNNER_TEMP:-${HARNESS_ARTIFACTS}/..}/python-standin/bin"
mkdir -p "${bin}"
cat > "${bin}/python" <<SHIM
#!/bin/sh
if [ "\$1" = "-m" ] && [ "\$2" = "pip" ]; then
  shift 2
  STANDIN_BIN="${bin}" exec "${HARNESS_PYTHON}" "${GITHUB_ACTION_PATH}/pip.py" "\$@"
fi
exec "${HARNESS_PYTHON}" "\$@"
SHIM
chmod +x "${bin}/python"
ln -sf python "${bin}/python3"
echo "${bin}" >> "${GITHUB_PATH}"
echo "python-version=${HARNESS_PYTHON_VERSION}" >> "${GITHUB_OUTPUT}"
