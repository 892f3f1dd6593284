// The entry point when SwiftPM builds the daemon (DaemonMain.swift).

DaemonMain.run(Array(CommandLine.arguments.dropFirst()))
