"""The engine in Pyodide (CPython compiled to WebAssembly), under Node.js: a later issue puts the
lessons in a browser with nothing installed. Pyodide's stack is small: freeing a chain of a few
thousand nodes used to overflow it; a chain 100,000 operations deep must build, backpropagate
and be freed there, and the gradient must be the one CPython computes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ..npm import install, node_and_npm

PACKAGE, VERSION = "pyodide", "314.0.8"  # Python 3.14
INTEGRITY = ("sha512-74Wq1kXOC+CCEzAfxuRAO701nAcCMLjf8NrwvWpu8S41dVMXwXmLQ05dYB+F4e46AdnGo0oq7YHS"
             "VUpHsoarLQ==")
ROOT = Path(__file__).resolve().parents[2]

# Copies autograd_core's .py files into Pyodide's file system, runs the Python on stdin there,
# and prints the value of its last expression (a JSON text).
RUN_JS = """
const { loadPyodide } = require("pyodide");
const fs = require("node:fs"), path = require("node:path");
async function main() {
  const py = await loadPyodide();
  function copy(dir, target) {
    py.FS.mkdirTree(target);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const from = path.join(dir, entry.name), to = target + "/" + entry.name;
      if (entry.isDirectory() && entry.name !== "__pycache__") { copy(from, to); }
      else if (entry.name.endsWith(".py")) { py.FS.writeFile(to, fs.readFileSync(from)); }
    }
  }
  copy(process.argv[1], "/home/pyodide/autograd_core");
  process.stdout.write(String(py.runPython(fs.readFileSync(0, "utf8"))));
}
main().catch((error) => { process.stderr.write(String(error) + "\\n"); process.exitCode = 1; });
"""

CHAIN = """
import json, sys
sys.path.insert(0, "/home/pyodide")
from autograd_core import Value
x = Value(0.5, label="x")
y = x
for _ in range(50_000):  # two operations a step: 100,000 deep
    y = y * 1.00001 + 0.00001
y.backward()
result = {"python": sys.version.split()[0], "platform": sys.platform, "grad": x.grad,
          "data": y.data}
del y  # freeing the whole chain, which overflowed the stack
result["freed"] = True
json.dumps(result)
"""


def test_a_chain_100000_deep_builds_backpropagates_and_frees_in_pyodide() -> None:
    node, _, env = node_and_npm()
    folder = install(PACKAGE, VERSION, INTEGRITY)
    result = subprocess.run([node, "-e", RUN_JS, str(ROOT / "autograd_core")], cwd=folder,
                            env=env, input=CHAIN.encode(), capture_output=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    answer = json.loads(result.stdout)
    assert answer["platform"] == "emscripten" and answer["freed"] is True
    here: dict[str, object] = {}
    exec(CHAIN.replace("/home/pyodide", str(ROOT)), here)  # the same program, in CPython
    assert (answer["data"], answer["grad"]) == (here["result"]["data"],  # type: ignore[index]
                                                here["result"]["grad"])  # type: ignore[index]
