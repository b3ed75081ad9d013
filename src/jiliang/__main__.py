"""``python -m jiliang`` — the jiliang command (help when given no command; ``serve`` serves)."""

from jiliang.cli import main

if __name__ == "__main__":
    main()
