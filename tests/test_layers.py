"""Dependencies point one way: every import of the package (module level or inside a function, not
under ``if TYPE_CHECKING``) goes to the module's own layer or one below, and nothing imports itself
back through a cycle."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "inpaint_core"

#: Lowest first. A module not listed belongs to the layer of its package (``methods.*``).
LAYERS = (
    ("base", {"errors", "threads", "archive", "limits", "images", "masks", "types", "checkpoints", "wheel_weights",
              "tensors", "plugins"}),
    ("building blocks", {"pipeline", "tiling", "maskgen", "datasets", "metrics", "lpips", "fid", "losses", "gaussian",
                         "unet", "mle", "batches"}),
    ("methods", {"learned", "methods"}),
    ("zoo", {"zoo", "hub", "retrieval"}),
    ("benchmark and training", {"benchmark", "training", "leaderboard", "ensemble", "figures", "sample_study",
                                "choices", "ray_engine", "recipes"}),
    ("interfaces", {"cli", ""}),  # "" is the package itself: its __init__ is the public face
)
#: Upward imports that remain, each with its reason; the test fails when one disappears, so the list
#: stays true. Sim-k retrieves with a PConv checkpoint's encoder, resolved through the zoo.
KNOWN_UPWARD = {("methods.sim_k", "retrieval")}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _layer(module: str) -> int:
    for rank, (_, members) in enumerate(LAYERS):
        if module in members or module.split(".")[0] in members:
            return rank
    raise AssertionError(f"inpaint_core.{module} is in no layer: add it to LAYERS")


def _imports(modules: dict[str, Path]) -> set[tuple[str, str]]:
    edges = set()
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text())
        skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                   for n in ast.walk(node)}
        for node in ast.walk(tree):
            if id(node) in skipped or not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                candidates = [f"{target}.{a.name}".strip(".") for a in node.names]
                targets = [c if c in modules else target for c in candidates]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("inpaint_core"):
                targets = [node.module.removeprefix("inpaint_core").strip(".")]
            else:
                continue
            edges |= {(name, t) for t in targets if t in modules and t != name}
    return edges


def test_imports_never_point_upward():
    modules = _modules()
    upward = {(a, b) for a, b in _imports(modules) if _layer(b) > _layer(a)}
    assert upward == KNOWN_UPWARD, f"upward imports: {sorted(upward - KNOWN_UPWARD)}; gone: {sorted(KNOWN_UPWARD - upward)}"


def test_no_import_cycle():
    edges = _imports(_modules())
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in list(graph):
        if node not in state:
            visit(node, [node])
