// The version `swiftsql-authd --version` prints and the status answer
// carries: the Debian package's (debian/changelog), kept in step by
// `make package-check`.

public enum ServeVersion {
  public static let text = "0.1.0"
}
