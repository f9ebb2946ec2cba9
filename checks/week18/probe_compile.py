"""Run in the learner's interpreter from a copy of the week folder: import pipeline.py (its
`__main__` part does not run), find the pipeline named as argv[1], and compile it with kfp's own
compiler to argv[2]. Prints one line: MARKER + JSON {"found": [pipeline names], "error": "..."}.
"""

import json
import sys
import traceback

MARKER = "KFP-COMPILE-JSON:"


def main() -> None:
    wanted, target = sys.argv[1], sys.argv[2]
    answer: dict[str, object] = {"found": [], "error": ""}
    try:
        sys.path.insert(0, ".")
        import pipeline  # the learner's module
        from kfp import compiler
        from kfp.dsl.graph_component import GraphComponent

        pipelines = {v.name: v for v in vars(pipeline).values() if isinstance(v, GraphComponent)}
        answer["found"] = sorted(pipelines)
        if wanted in pipelines:
            compiler.Compiler().compile(pipelines[wanted], package_path=target)
    except BaseException as exc:  # the learner's module may even call sys.exit
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        answer["error"] = "".join(lines[-6:]).strip()[-1500:]
    print(MARKER + json.dumps(answer))


main()
