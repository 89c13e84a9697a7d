complete --keep-order --exclusive --command ocf-devsim --arguments "(COMPLETE=fish ocf-devsim -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
