// The tool's boundary to libpam's application side: every pam_* function the
// direct PAM driver calls is wrapped here once (pam_start_confdir, pam_start,
// pam_set_item, pam_authenticate, pam_acct_mgmt, pam_end; a code's name and
// pam_strerror's text are SwiftSQLPAMCodes', as the module reads them).
// `PAMTransaction` owns the handle and ends it in deinit. Its conversation
// answers password prompts from the SecretBytes it was given and shows the
// module's messages on standard error.

import CPAM
import Glibc
import SwiftSQLCore

final class PAMTransaction {
  private let handle: OpaquePointer
  private let conversation: ConversationState
  private var lastStatus: Int32 = PAM_SUCCESS

  /// The state the C conversation callback reaches through appdata_ptr.
  final class ConversationState {
    let password: SecretBytes
    init(password: SecretBytes) { self.password = password }
  }

  /// `pam_start_confdir` when `confdir` is given, else `pam_start`.
  static func start(
    service: String, user: String, password: SecretBytes, confdir: String?
  ) -> Result<PAMTransaction, PAMStartError> {
    let state = ConversationState(password: password)
    var conv = pam_conv(conv: answerConversation, appdata_ptr: Unmanaged.passUnretained(state).toOpaque())
    var handle: OpaquePointer? = nil
    let code: Int32
    if let confdir {
      code = pam_start_confdir(service, user, &conv, confdir, &handle)
    } else {
      code = pam_start(service, user, &conv, &handle)
    }
    guard code == PAM_SUCCESS, let handle else {
      return .failure(PAMStartError(code: code))
    }
    return .success(PAMTransaction(handle: handle, conversation: state))
  }

  private init(handle: OpaquePointer, conversation: ConversationState) {
    self.handle = handle
    self.conversation = conversation
  }

  deinit {
    pam_end(handle, lastStatus)
  }

  /// `pam_set_item(PAM_RHOST)`.
  func setRemoteHost(_ host: String) {
    _ = pam_set_item(handle, PAM_RHOST, host)
  }

  /// `pam_authenticate`.
  func authenticate() -> Int32 {
    lastStatus = pam_authenticate(handle, 0)
    return lastStatus
  }

  /// `pam_acct_mgmt`.
  func accountManagement() -> Int32 {
    lastStatus = pam_acct_mgmt(handle, 0)
    return lastStatus
  }
}

/// pam_start failed.
struct PAMStartError: Error {
  let code: Int32
}

/// The conversation function: answers every prompt with the password
/// (PAM frees and wipes the copies), prints error and info text.
private func answerConversation(
  _ count: Int32, _ messages: UnsafeMutablePointer<UnsafePointer<pam_message>?>?,
  _ responses: UnsafeMutablePointer<UnsafeMutablePointer<pam_response>?>?, _ data: UnsafeMutableRawPointer?
) -> Int32 {
  guard count > 0, let messages, let responses, let data else { return PAM_CONV_ERR }
  let state = Unmanaged<PAMTransaction.ConversationState>.fromOpaque(data).takeUnretainedValue()
  guard
    let replies = calloc(Int(count), MemoryLayout<pam_response>.size)?
      .bindMemory(to: pam_response.self, capacity: Int(count))
  else { return PAM_BUF_ERR }
  for index in 0..<Int(count) {
    guard let message = messages[index] else { continue }
    switch Int32(message.pointee.msg_style) {
    case PAM_PROMPT_ECHO_OFF, PAM_PROMPT_ECHO_ON:
      replies[index].resp = state.password.withCString { strdup($0) }
    case PAM_ERROR_MSG, PAM_TEXT_INFO:
      if let text = message.pointee.msg { printToStandardError(String(cString: text)) }
    default:
      break
    }
  }
  responses.pointee = replies
  return PAM_SUCCESS
}
