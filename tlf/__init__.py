"""Tables, listings and figures (TLF): Tables 1-7 and Figure 1 of the paper, and Table 8 (the figures of its text), as RTF and PDF,
rendered from the analysis-results dataset ``results.ard`` alone (docs/DESIGN.md "Tables and
figures")."""
