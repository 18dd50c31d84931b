from slaguard.cli import main

main()
