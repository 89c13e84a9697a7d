complete --keep-order --exclusive --command ocf-mediator --arguments "(COMPLETE=fish ocf-mediator -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
