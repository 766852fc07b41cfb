from evsynth.cli import main

main()
