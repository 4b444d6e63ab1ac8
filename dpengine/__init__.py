"""Offline engine and CLI for Pulumi Python programs: plan and policy checks with no CLI or cloud."""

from .engine import EngineError, ResourceRecord, StackRun, run_function, run_program

__all__ = ["EngineError", "ResourceRecord", "StackRun", "run_function", "run_program"]
