import WideSparseCLI

WideSparseCommand.main()
