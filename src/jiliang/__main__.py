"""``python -m jiliang`` — the jiliang command (serves the platform when given no command)."""

from jiliang.cli import main

if __name__ == "__main__":
    main()
