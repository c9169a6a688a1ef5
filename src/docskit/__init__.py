"""Build toolkit for the Relaywright documentation: data model, rendering, site builds and checks."""
