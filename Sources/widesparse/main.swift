import WideSparseCLI

WideSparseCommand.mainWithExitCodes()
