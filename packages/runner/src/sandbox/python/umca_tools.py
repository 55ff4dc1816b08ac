"""UMCA's upstream MCP tools as Python functions, one namespace per server.

    from umca_tools import ragflow
    chunks = ragflow.ragflow_retrieval(question="What is UMCA?", top_k=2)

Each call goes to the host, which decides whether it may be made (the caller's roles, the run's
call budget) and makes it: the sandbox never sees a credential or the network. The sandbox gives
this module the run's tools before the program starts (`_install`); nothing here outlives a run.
"""

import inspect as _inspect
import json as _json
import keyword as _keyword
import types as _types

_API = ["call", "tools", "ToolCallError", "ToolDenied", "ToolUnavailable", "ToolArgumentsError", "ToolError"]
__all__ = list(_API)

# ---- errors ---------------------------------------------------------------------------------


class ToolCallError(Exception):
    """A tool call that gave no answer. `code` says why; `tool` is UMCA's name of the tool."""

    def __init__(self, message: str, *, code: str, tool: str):
        super().__init__(message)
        self.code = code
        self.tool = tool


class ToolDenied(ToolCallError, PermissionError):
    """The run may not call the tool (`denied`), or has made all the calls it may (`budget_exhausted`)."""


class ToolUnavailable(ToolCallError, ConnectionError):
    """The call was allowed but got no answer: `server_down`, `timeout`, `call_failed` or `cancelled`."""


class ToolArgumentsError(ToolCallError, ValueError):
    """The arguments are not a JSON object (`invalid_arguments`); raised before any call when they cannot be sent."""


class ToolError(ToolCallError):
    """The tool ran and said it failed (code `tool_error`); the message is its text."""


_ERRORS = {
    "denied": ToolDenied,
    "budget_exhausted": ToolDenied,
    "invalid_arguments": ToolArgumentsError,
    "server_down": ToolUnavailable,
    "timeout": ToolUnavailable,
    "call_failed": ToolUnavailable,
    "cancelled": ToolUnavailable,
}

# ---- calling --------------------------------------------------------------------------------

_tools = []  # this run's tools, as the host listed them
_installed = []  # the namespaces _install added to this module


def call(name: str, arguments: dict = None, /, **kwargs):
    """Calls any upstream tool by UMCA's name (as `tools()` lists it).

    Arguments go as a dict, as keyword arguments, or both (keywords win). Returns the tool's
    structured content (a dict) when it gives one, else its text.
    """
    if not isinstance(name, str):
        raise TypeError(f"the tool's name must be a str, like 'ragflow__ragflow_retrieval', not {type(name).__name__}")
    return _call(name, _merge(name, arguments, kwargs))


def tools() -> list:
    """The tools this run may call: dicts of name (UMCA's), server, tool (its own name), description and inputSchema."""
    return _json.loads(_json.dumps(_tools))


def _merge(name: str, arguments, kwargs: dict) -> dict:
    if arguments is None:
        return kwargs
    if not isinstance(arguments, dict):
        raise ToolArgumentsError(
            f"the arguments of {name} must be a dict (or keyword arguments), not {type(arguments).__name__}",
            code="invalid_arguments",
            tool=name,
        )
    return {**arguments, **kwargs}


def _call(name: str, arguments: dict):
    try:
        payload = _json.dumps(arguments, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ToolArgumentsError(
            f"the arguments of {name} cannot be sent as JSON: {error}", code="invalid_arguments", tool=name
        ) from None
    import umca_host  # registered by the sandbox; the host relays the call

    reply = _json.loads(umca_host.tool_call(name, payload))
    if not reply["ok"]:
        raise _ERRORS.get(reply["code"], ToolCallError)(reply["message"], code=reply["code"], tool=name)
    if reply["isError"]:
        raise ToolError(reply["text"], code="tool_error", tool=name)
    return reply["structured"] if "structured" in reply else reply["text"]


# ---- the run's namespaces -------------------------------------------------------------------

_ANNOTATIONS = {"string": str, "integer": int, "number": float, "boolean": bool, "array": list, "object": dict, "null": type(None)}


def _properties(tool: dict) -> tuple:
    schema = tool.get("inputSchema")
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return {}, set()
    required = schema.get("required")
    return properties, set(required) if isinstance(required, list) else set()


def _annotation(spec):
    kinds = spec.get("type") if isinstance(spec, dict) else None
    kinds = kinds if isinstance(kinds, list) else [kinds]
    found = [_ANNOTATIONS[kind] for kind in kinds if isinstance(kind, str) and kind in _ANNOTATIONS]
    if len(found) != len(kinds) or not found:
        return _inspect.Parameter.empty
    annotation = found[0]
    for kind in found[1:]:
        annotation = annotation | kind
    return annotation


def _signature(tool: dict) -> _inspect.Signature:
    """Keyword-only parameters from the schema's properties, the required ones first and without default."""
    properties, required = _properties(tool)
    parameters = []
    rest = False
    for name, spec in properties.items():
        if not name.isidentifier() or _keyword.iskeyword(name):
            rest = True  # still accepted, as **arguments
            continue
        if name in required:
            default = _inspect.Parameter.empty
        else:
            default = spec.get("default") if isinstance(spec, dict) else None
        parameters.append(
            _inspect.Parameter(name, _inspect.Parameter.KEYWORD_ONLY, default=default, annotation=_annotation(spec))
        )
    parameters.sort(key=lambda parameter: parameter.default is not _inspect.Parameter.empty)
    if rest:
        parameters.append(_inspect.Parameter("arguments", _inspect.Parameter.VAR_KEYWORD))
    return _inspect.Signature(parameters)


def _doc(tool: dict) -> str:
    lines = [tool.get("description") or f"The upstream tool {tool['tool']!r}."]
    properties, required = _properties(tool)
    if properties:
        lines += ["", "Arguments:"]
        for name, spec in properties.items():
            spec = spec if isinstance(spec, dict) else {}
            kinds = spec.get("type")
            notes = ["/".join(map(str, kinds)) if isinstance(kinds, list) else kinds]
            if name in required:
                notes.append("required")
            elif "default" in spec:
                notes.append(f"default {_json.dumps(spec['default'])}")
            else:
                notes.append("optional")
            described = spec.get("description")
            head = f"    {name} ({', '.join(str(note) for note in notes if note)})"
            lines.append(f"{head}: {described}" if described else head)
    lines += ["", f"Calls {tool['tool']!r} on the MCP server {tool['server']!r} (UMCA's name: {tool['name']!r})."]
    return "\n".join(lines)


def _tool_function(tool: dict, name: str, namespace: _types.ModuleType):
    umca_name = tool["name"]

    def function(*args, **kwargs):
        if len(args) > 1:
            raise TypeError(f"{name}() takes keyword arguments, or one dict of them ({len(args)} positional given)")
        return _call(umca_name, _merge(umca_name, args[0] if args else None, kwargs))

    function.__name__ = name
    function.__qualname__ = f"{namespace.__name__.rpartition('.')[2]}.{name}"
    function.__module__ = namespace.__name__  # so help(namespace) lists it
    function.__doc__ = _doc(tool)
    function.__signature__ = _signature(tool)
    return function


def _install(installation: str) -> None:
    """Gives the module this run's tools; the sandbox calls it before the program runs.

    `installation` is JSON: {"tools": [...], "namespaces": [{"name", "server", "functions":
    [{"name", "tool"}]}]}, the names already chosen (see tool-bindings.ts).
    """
    global _tools
    module = globals()
    for name in _installed:
        module.pop(name, None)
    _installed.clear()
    given = _json.loads(installation)
    _tools = given["tools"]
    by_name = {}
    for tool in _tools:
        by_name.setdefault(tool["name"], tool)
    for namespace in given["namespaces"]:
        if namespace["name"] in module:
            continue
        server = _types.ModuleType(f"{__name__}.{namespace['name']}", f"The tools of the upstream MCP server {namespace['server']!r}.")
        for function in namespace["functions"]:
            setattr(server, function["name"], _tool_function(by_name[function["tool"]], function["name"], server))
        module[namespace["name"]] = server
        _installed.append(namespace["name"])
    module["__all__"] = _API + _installed


def __getattr__(name: str):
    if name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    raise AttributeError(
        f"no upstream server or function {name!r} is available to this run; umca_tools.tools() lists the tools it may call"
    )
