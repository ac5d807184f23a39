"""isobench: can an LLM agent optimize real code as well as the human who did it?"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("isobench")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
