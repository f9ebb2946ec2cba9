"""Run in the learner's interpreter from a copy of the week folder: the pipeline named argv[1]
run end to end with kfp's local SubprocessRunner (use_venv=False, pipeline root argv[3]) on
source_dir argv[2]. Prints MARKER + JSON {"output": ..., "error": "..."}.
"""

import json
import re
import sys
import traceback

MARKER = "KFP-LOCAL-JSON:"


def main() -> None:
    wanted, source_dir, root = sys.argv[1:4]
    answer: dict[str, object] = {"output": None, "error": ""}
    try:
        sys.path.insert(0, ".")
        from kfp import local
        from kfp.dsl.graph_component import GraphComponent

        local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=root)
        import pipeline  # the learner's module

        found = [v for v in vars(pipeline).values() if isinstance(v, GraphComponent)]
        task = next(v for v in found if v.name == wanted)(source_dir=source_dir)
        output = getattr(task, "output", None)
        answer["output"] = output if isinstance(output, (int, float, str)) else None
    except BaseException as exc:
        # kfp's own frames say nothing to the learner, and its messages carry colour codes
        lines = traceback.format_exception_only(type(exc), exc)
        answer["error"] = re.sub(r"\x1b\[[0-9;]*m", "", "".join(lines)).strip()[-1500:]
    print(MARKER + json.dumps(answer))


main()
