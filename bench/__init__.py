"""Side-by-side benchmark of this assistant against the stock `rasa init` bot (`make bench`)."""
