// The entry point of the shipped daemon, built in Embedded Swift by the
// Makefile (which compiles this file instead of main.swift; Package.swift
// leaves it out): C's main, since Embedded Swift has no CommandLine.

@_cdecl("main")
func main(_ count: Int32, _ vector: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  var arguments: [String] = []
  if count > 1 {
    for index in 1..<Int(count) {
      if let argument = vector[index] { arguments.append(String(cString: argument)) }
    }
  }
  DaemonMain.run(arguments)
}
