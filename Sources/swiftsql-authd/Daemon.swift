// The event loop: one thread, one epoll, every socket non-blocking. It
// accepts connections, reads requests with the protocol sessions of
// SwiftSQLServe, hands complete logins to the worker pool, and writes the
// answers the workers give back. No connection ever holds a thread: a
// client that connects and sends nothing costs a descriptor until its
// deadline, and a thousand of them do not delay anyone else's login.
//
// Limits: --max-connections clients at once (then new ones wait in the
// listen queue); a request (saslauthd) or a line (Dovecot) must be whole
// within --request-timeout; an idle Dovecot connection is closed after
// --idle-timeout; while the workers' queue is full, logins read are parked
// and nothing more is read or accepted until there is room. A refused login
// is answered after --failure-delay without holding a worker.
//
// Timers: each kind has one duration, so deadlines fall due in the order
// they were set and a first-in first-out queue per kind is a timer wheel.
// A connection has at most one entry in each queue: a deadline that moves
// later (a Dovecot connection idle again after each login) is looked up
// when its entry falls due and queued again then, so the queues hold no
// more entries than there are connections, however many logins pass.

import SaslauthdClient
import SwiftSQLCore
import SwiftSQLServe
import SwiftSQLSystem

final class Daemon {
  enum Role {
    case saslauthd
    case dovecot
    case status
  }

  struct Listener {
    let descriptor: Int32
    let role: Role
    let path: String
  }

  enum TimerKind {
    case request
    case idle
    case address
  }

  struct TimerEntry {
    let due: UInt64
    let token: UInt64
  }

  struct DelayedAnswer {
    enum Target {
      case connection(UInt64)
      /// A saslauthd connection a worker handed back.
      case descriptor(Int32)
    }
    let due: UInt64
    let target: Target
    let bytes: [UInt8]
  }

  // Tokens of what is not a connection (a connection's is generation << 32
  // | slot, generations below 0xFFFF_0000).
  static let wakeupToken: UInt64 = 0xFFFF_FFFE_0000_0000
  static let signalToken: UInt64 = 0xFFFF_FFFD_0000_0000
  static let listenerToken: UInt64 = 0xFFFF_FFFF_0000_0000

  let options: ServeOptions
  let poller: ServeSystem.Poller
  let wakeup: ServeSystem.Wakeup
  let signals: Int32
  let workers: WorkerPool
  let store: ServiceConfigurations
  let pool: DatabasePool
  let reloader: Reloader
  let workerCount: Int
  private var listeners: [Listener]
  private var listening = false
  private var pausedUntil: UInt64 = 0

  private var connections: [Connection?] = []
  private var generations: [UInt32] = []
  private var freeSlots: [Int] = []
  private var openConnections = 0
  private var nextConnectionID: UInt32 = 0

  private var parked = RingBuffer<LoginJob>()
  private var timers: [TimerKind: RingBuffer<TimerEntry>] = [.request: .init(), .idle: .init(), .address: .init()]
  private var delayed = RingBuffer<DelayedAnswer>()

  private var status = ServeStatus()
  private let started = Deadline.now()
  private var shuttingDown = false
  private var shutdownDeadline: UInt64 = 0
  /// Received bytes land here; overwritten after each use (passwords).
  private var scratch = [UInt8](repeating: 0, count: 16384)
  private var warnedFull = false

  init(
    options: ServeOptions, listeners: [Listener], signals: Int32, store: ServiceConfigurations, pool: DatabasePool,
    workerCount: Int, queueCapacity: Int
  ) throws(SystemError) {
    self.options = options
    self.listeners = listeners
    self.signals = signals
    self.store = store
    self.pool = pool
    self.workerCount = workerCount
    poller = try ServeSystem.Poller()
    wakeup = try ServeSystem.Wakeup()
    workers = WorkerPool(
      capacity: queueCapacity, checker: LoginChecker(store: store, pool: pool), wakeup: wakeup,
      failureDelay: options.failureDelayMilliseconds > 0)
    reloader = Reloader(store: store, pool: pool)
    status.version = ServeVersion.text
    status.processID = ServeSystem.processID()
    status.workers = workerCount
    status.databaseConnections = pool.perDatabase
    status.queueCapacity = queueCapacity
  }

  /// Serves until SIGTERM or SIGINT; returns the exit status.
  func run() -> Int32 {
    do throws(SystemError) {
      try poller.add(wakeup.descriptor, events: ServeSystem.Poller.readable, token: Daemon.wakeupToken).get()
      try poller.add(signals, events: ServeSystem.Poller.readable, token: Daemon.signalToken).get()
      for (index, listener) in listeners.enumerated() {
        try poller.add(listener.descriptor, events: 0, token: Daemon.listenerToken | UInt64(index)).get()
      }
      try workers.start(workers: workerCount)
      try reloader.start()
    } catch {
      ServeLog.error("cannot start: \(error.message)")
      return 1
    }
    updateListeners()
    ServeLog.notice(
      "serving "
        + listeners.map {
          "\($0.role == .saslauthd ? "saslauthd" : $0.role == .dovecot ? "dovecot" : "status") "
            + "on \($0.path)"
        }.joined(separator: ", ")
        + " with \(workerCount) workers, up to \(pool.perDatabase) connections per database")

    while true {
      let now = Deadline.now().nanoseconds
      fireTimers(now)
      if shuttingDown {
        if isQuiet { break }
        if now >= shutdownDeadline {
          ServeLog.warning("stopping with logins still unanswered: their deadline passed")
          break
        }
      }
      if pausedUntil != 0 && now >= pausedUntil {
        pausedUntil = 0
        updateListeners()
      }
      for (token, events) in poller.wait(milliseconds: timeout(now)) {
        dispatch(token, events)
      }
    }
    reloader.stop()
    workers.stop()
    for connection in connections.compactMap({ $0 }) { close(connection) }
    ServeLog.notice("stopped")
    return 0
  }

  // MARK: - Dispatch

  private func dispatch(_ token: UInt64, _ events: UInt32) {
    switch token {
    case Daemon.wakeupToken:
      wakeup.drain()
      for result in workers.takeResults() { deliver(result) }
      unpark()
    case Daemon.signalToken:
      for signal in ServeSystem.pendingSignals(signals) {
        if signal == ServeSystem.hangUpSignal {
          ServeLog.notice("SIGHUP: reloading the configuration")
          reloader.request()
        } else {
          beginShutdown(signal == ServeSystem.terminateSignal ? "SIGTERM" : "SIGINT")
        }
      }
    case let token where token & Daemon.listenerToken == Daemon.listenerToken:
      let index = Int(token & 0xFFFF)
      if index < listeners.count { acceptAll(listeners[index]) }
    default:
      guard let connection = lookup(token) else { return }
      if events & (ServeSystem.Poller.readable | ServeSystem.Poller.hangUp) != 0 {
        if connection.reading {
          read(connection)
        } else if events & ServeSystem.Poller.hangUp != 0 {
          // Gone while its login is checked: the answer is dropped.
          close(connection)
          return
        }
      }
      if events & ServeSystem.Poller.writable != 0, let current = lookup(token) { flush(current) }
    }
  }

  // MARK: - Connections

  private func lookup(_ token: UInt64) -> Connection? {
    let slot = Int(token & 0xFFFF_FFFF)
    guard slot < connections.count, let connection = connections[slot], connection.token == token else { return nil }
    return connection
  }

  private func acceptAll(_ listener: Listener) {
    while listening && openConnections < options.maximumConnections {
      switch ServeSystem.accept(listener.descriptor) {
      case .connection(let descriptor):
        guard listener.role == .saslauthd else {
          open(descriptor, listener.role)
          continue
        }
        // The client writes its request right after connecting: mostly it
        // is there already, whole, and the connection is answered without
        // ever being watched (no epoll_ctl at all). Only one that is not
        // whole after this first read is watched, with its deadline.
        guard let connection = open(descriptor, .saslauthd, watch: false) else { continue }
        read(connection)
        if let waiting = lookup(connection.token), watch(waiting), waiting.reading, waiting.timer == nil {
          setTimer(waiting, .request)
        }
      case .none: return
      case .exhausted(let error):
        ServeLog.error("cannot accept more connections for 1 s: \(error.message)")
        pausedUntil = Deadline.now().nanoseconds + 1_000_000_000
        updateListeners()
        return
      case .failed(let error):
        ServeLog.error("accept on \(listener.path): \(error.message)")
        return
      }
    }
    updateListeners()
  }

  /// A new connection; watched by epoll unless `watch` is false (then
  /// `watch(_:)` must follow if it stays open).
  @discardableResult
  private func open(_ descriptor: Int32, _ role: Role, reading: Bool = true, watch: Bool = true) -> Connection? {
    let slot: Int
    if let free = freeSlots.popLast() {
      slot = free
    } else {
      slot = connections.count
      connections.append(nil)
      generations.append(0)
    }
    generations[slot] = generations[slot] >= 0xFFFE_FFFF ? 1 : generations[slot] + 1
    let token = UInt64(generations[slot]) << 32 | UInt64(slot)
    let connection = Connection(descriptor: descriptor, role: role, token: token)
    connection.reading = reading
    connections[slot] = connection
    openConnections += 1
    status.connections = openConnections
    status.connectionsTotal += 1
    if watch && !self.watch(connection) { return nil }
    switch role {
    case .saslauthd:
      // The deadline is set by acceptAll when the first read is not the
      // whole request (most are, and then no timer is queued at all).
      break
    case .dovecot:
      nextConnectionID &+= 1
      let cookie = System.randomBytes(16) ?? [UInt8](repeating: 0, count: 16)
      connection.output = DovecotSession.handshake(
        processID: status.processID, connectionID: nextConnectionID, cookie: cookie)
      setTimer(connection, .request)
      flush(connection)
    case .status:
      connection.reading = false
      connection.output = Array(statusText().utf8)
      connection.closeWhenWritten = true
      flush(connection)
    }
    return lookup(token)
  }

  /// Has epoll watch the connection for the events it wants now, if it is
  /// not watched yet; false (and the connection closed) when that fails.
  private func watch(_ connection: Connection) -> Bool {
    guard !connection.watched else { return true }
    if case .failure(let error) = poller.add(connection.descriptor, events: connection.events, token: connection.token)
    {
      ServeLog.error("cannot watch a connection: \(error.message)")
      close(connection)
      return false
    }
    connection.watched = true
    return true
  }

  private func close(_ connection: Connection) {
    guard release(connection) else { return }
    connection.closeDescriptor()
  }

  /// Forgets a connection and stops watching its descriptor, without
  /// closing it (a worker takes it over, or close does). False when it was
  /// already forgotten.
  @discardableResult
  private func release(_ connection: Connection) -> Bool {
    let slot = Int(connection.token & 0xFFFF_FFFF)
    guard slot < connections.count, connections[slot] === connection else { return false }
    if connection.watched { poller.remove(connection.descriptor) }
    connection.saslauthd.wipe()
    connections[slot] = nil
    freeSlots.append(slot)
    openConnections -= 1
    status.connections = openConnections
    updateListeners()
    return true
  }

  /// Accepting is paused while logins are parked, while the connection
  /// limit is reached, after running out of descriptors, and for good once
  /// shutting down.
  private func updateListeners() {
    let wanted =
      !shuttingDown && parked.isEmpty && openConnections < options.maximumConnections && pausedUntil == 0
    if wanted == listening { return }
    listening = wanted
    if !wanted && openConnections >= options.maximumConnections && !warnedFull {
      ServeLog.warning("\(options.maximumConnections) connections open (--max-connections): new ones wait")
      warnedFull = true
    }
    if wanted { warnedFull = false }
    for (index, listener) in listeners.enumerated() {
      poller.modify(
        listener.descriptor, events: wanted ? ServeSystem.Poller.readable : 0,
        token: Daemon.listenerToken | UInt64(index))
    }
  }

  private func setInterest(_ connection: Connection, reading: Bool? = nil, writing: Bool? = nil) {
    let before = connection.events
    if let reading { connection.reading = reading }
    if let writing { connection.writing = writing }
    // An unwatched connection is watched later with the events it wants then.
    if connection.watched && connection.events != before {
      poller.modify(connection.descriptor, events: connection.events, token: connection.token)
    }
  }

  // MARK: - Reading

  private func read(_ connection: Connection) {
    let transfer = scratch.withUnsafeMutableBytes { System.receive(connection.descriptor, into: $0) }
    switch transfer {
    case .wouldBlock: return
    case .failed, .closed:
      if connection.role == .saslauthd, connection.inFlight == 0,
        let request = connection.saslauthd.requestWithoutAddress()
      {
        // Half-closed after four fields in pieces: no fifth is coming.
        setInterest(connection, reading: false)
        submit(connection, request)
        return
      }
      close(connection)
    case .bytes(let count):
      defer {
        scratch.withUnsafeMutableBytes { SwiftSQLCore.wipe(UnsafeMutableRawBufferPointer(rebasing: $0[..<count])) }
      }
      scratch.withUnsafeBytes { buffer in
        let piece = UnsafeRawBufferPointer(rebasing: buffer[..<count])
        switch connection.role {
        case .saslauthd: readSaslauthd(connection, piece)
        case .dovecot: readDovecot(connection, piece)
        case .status: break
        }
      }
    }
  }

  private func readSaslauthd(_ connection: Connection, _ piece: UnsafeRawBufferPointer) {
    guard connection.inFlight == 0 else { return }
    switch connection.saslauthd.receive(piece) {
    case .needMore: break
    case .mayHaveAddress:
      if connection.timer != .address { setTimer(connection, .address) }
    case .request(let request):
      setInterest(connection, reading: false)
      submit(connection, request)
    case .refuse(let reply, let field):
      status.protocolErrors += 1
      ServeLog.notice(
        "refused a saslauthd request: its \(field) is longer than \(SaslauthdSession.fieldLimit) bytes")
      setInterest(connection, reading: false)
      cancelTimer(connection)
      connection.closeWhenWritten = true
      connection.output = reply
      flush(connection)
    }
  }

  private func submit(_ connection: Connection, _ request: SaslauthdRequest) {
    var request = request
    cancelTimer(connection)
    var login = request.login
    if options.joinRealm && !request.realm.isEmpty { login += [UInt8(ascii: "@")] + request.realm }
    // saslauthd's PAM mechanism cuts the client address at the port's ';'.
    let address = request.clientAddress.map { Array($0.prefix { $0 != UInt8(ascii: ";") }) } ?? []
    let password = request.password.withUnsafeBytes { SecretBytes(copying: $0) }
    request.password.withUnsafeMutableBytes { SwiftSQLCore.wipe($0) }
    let job = LoginJob(
      connection: connection.token, requestID: 0, descriptor: connection.descriptor, dovecot: nil, login: login,
      password: password, service: String(decoding: request.service, as: UTF8.self),
      remoteHost: String(decoding: address, as: UTF8.self), received: Deadline.now().nanoseconds)
    // The descriptor goes with the job: a worker answers on it and closes it.
    release(connection)
    enqueue(job, for: nil)
  }

  private func readDovecot(_ connection: Connection, _ piece: UnsafeRawBufferPointer) {
    var jobs: [LoginJob] = []
    var protocolError: String? = nil
    connection.lock.withLock {
      for event in connection.dovecot.receive(piece) {
        switch event {
        case .send(let bytes): connection.output += bytes
        case .verify(let credentials):
          connection.inFlight += 1
          jobs.append(
            LoginJob(
              connection: connection.token, requestID: credentials.id, descriptor: -1, dovecot: connection,
              login: credentials.login, password: credentials.password, service: credentials.service,
              remoteHost: credentials.remoteIP, received: Deadline.now().nanoseconds))
        case .close(let reason): protocolError = reason
        }
      }
    }
    if let protocolError {
      status.protocolErrors += 1
      ServeLog.notice("closed a Dovecot auth-client connection: \(protocolError)")
      close(connection)
      return
    }
    for job in jobs { enqueue(job, for: connection) }
    flush(connection)
    if let current = lookup(connection.token) { updateDovecotTimer(current) }
  }

  // MARK: - Jobs

  private func enqueue(_ job: LoginJob, for connection: Connection?) {
    // The depth comes back from the submit: asking the pool again would
    // take its lock while the worker just woken wants it.
    if parked.isEmpty, let queued = workers.submit(job) {
      status.queuePeak = max(status.queuePeak, queued)
      return
    }
    parked.append(job)
    // Back-pressure: read no more from it, accept no one, until there is room.
    if let connection {
      connection.parked += 1
      setInterest(connection, reading: false)
    }
    updateListeners()
    status.queuePeak = max(status.queuePeak, workers.load.queued + parked.count)
  }

  /// Moves parked jobs into the queue while it has room.
  private func unpark() {
    while let job = parked.first {
      let connection = lookup(job.connection)
      if job.descriptor < 0 && connection == nil {
        _ = parked.removeFirst()
        continue
      }
      guard workers.submit(job) != nil else { break }
      _ = parked.removeFirst()
      if let connection {
        connection.parked -= 1
        if connection.parked == 0 && connection.role == .dovecot && !shuttingDown {
          setInterest(connection, reading: true)
        }
      }
    }
    updateListeners()
  }

  /// What a worker left to the event loop: a saslauthd answer that waits
  /// for the failure delay, or one the socket did not take at once; a
  /// Dovecot answer that waits for the delay, or bytes to flush.
  private func deliver(_ result: LoginResult) {
    let now = Deadline.now().nanoseconds
    let delay = UInt64(options.failureDelayMilliseconds) * 1_000_000
    if result.descriptor >= 0 {
      if result.delayed && !shuttingDown {
        delayed.append(DelayedAnswer(due: now + delay, target: .descriptor(result.descriptor), bytes: result.reply))
      } else {
        adopt(result.descriptor, result.reply)
      }
      return
    }
    guard let connection = lookup(result.connection) else { return }
    switch result.handback {
    case .delayed(let line)?:
      if shuttingDown {
        send(connection, line)
      } else {
        delayed.append(DelayedAnswer(due: now + delay, target: .connection(connection.token), bytes: line))
      }
    case .flush?: flush(connection)
    case nil: break
    }
  }

  /// Takes a descriptor back from a worker to write `bytes` and close it.
  private func adopt(_ descriptor: Int32, _ bytes: [UInt8]) {
    guard let connection = open(descriptor, .saslauthd, reading: false) else { return }
    connection.output = bytes
    connection.closeWhenWritten = true
    flush(connection)
  }

  // MARK: - Writing

  private func send(_ connection: Connection, _ bytes: [UInt8]) {
    connection.lock.withLock { connection.output += bytes }
    flush(connection)
    if let current = lookup(connection.token), current.role == .dovecot { updateDovecotTimer(current) }
  }

  private func flush(_ connection: Connection) {
    switch connection.lock.withLock({ connection.writePending() }) {
    case .drained: setInterest(connection, writing: false)
    case .finished, .broken: close(connection)
    case .blocked(let pending):
      // A client that reads nothing gets a bounded buffer, then the door.
      if pending > 1 << 20 {
        close(connection)
      } else {
        setInterest(connection, writing: true)
      }
    }
  }

  // MARK: - Timers

  private func duration(_ kind: TimerKind) -> UInt64 {
    switch kind {
    case .request: UInt64(options.requestTimeout) * 1_000_000_000
    case .idle: UInt64(options.idleTimeout) * 1_000_000_000
    case .address: UInt64(options.addressWaitMilliseconds) * 1_000_000
    }
  }

  private func setTimer(_ connection: Connection, _ kind: TimerKind) {
    connection.timer = kind
    connection.deadline = Deadline.now().nanoseconds + duration(kind)
    queue(connection, kind)
  }

  /// Puts the connection's entry for `kind` in that queue, unless it is in
  /// it already (then it is looked at again when it falls due).
  private func queue(_ connection: Connection, _ kind: TimerKind) {
    guard !connection.queued.contains(kind) else { return }
    connection.queued.insert(kind)
    timers[kind, default: .init()].append(TimerEntry(due: connection.deadline, token: connection.token))
  }

  private func cancelTimer(_ connection: Connection) {
    connection.timer = nil
    connection.deadline = 0
  }

  /// Dovecot: the client has --request-timeout for the handshake, for
  /// each line and for each CONT asked for; otherwise the connection may
  /// idle for --idle-timeout after its last answer (a login being checked
  /// keeps it open: the deadline is looked at again when it falls due).
  private func updateDovecotTimer(_ connection: Connection) {
    let waiting = connection.lock.withLock {
      let session = connection.dovecot
      return !session.handshakeDone || session.hasPartialLine || session.waitsForClient
    }
    if waiting {
      if connection.timer != .request { setTimer(connection, .request) }
    } else if connection.timer != .idle {
      setTimer(connection, .idle)
    }
  }

  private func fireTimers(_ now: UInt64) {
    for kind in [TimerKind.request, .idle, .address] {
      while let entry = timers[kind]?.first, entry.due <= now {
        _ = timers[kind]?.removeFirst()
        guard let connection = lookup(entry.token) else { continue }
        connection.queued.remove(kind)
        guard connection.timer == kind else { continue }
        if connection.deadline > now {
          // The deadline moved on since this entry was queued.
          queue(connection, kind)
          continue
        }
        cancelTimer(connection)
        switch kind {
        case .request:
          status.timeouts += 1
          close(connection)
        case .idle:
          let (busy, last) = connection.lock.withLock { (connection.inFlight > 0, connection.lastAnswered) }
          let idle = duration(.idle)
          if busy || last &+ idle > now {
            connection.timer = .idle
            connection.deadline = busy ? now + idle : last + idle
            queue(connection, .idle)
          } else {
            close(connection)
          }
        case .address:
          if connection.inFlight == 0, let request = connection.saslauthd.requestWithoutAddress() {
            setInterest(connection, reading: false)
            submit(connection, request)
          } else {
            setTimer(connection, .request)
          }
        }
      }
    }
    while let answer = delayed.first, answer.due <= now || shuttingDown {
      _ = delayed.removeFirst()
      switch answer.target {
      case .connection(let token): if let connection = lookup(token) { send(connection, answer.bytes) }
      case .descriptor(let descriptor): adopt(descriptor, answer.bytes)
      }
    }
  }

  /// Milliseconds until the next timer (or 1 s when none; shutting down
  /// checks often).
  private func timeout(_ now: UInt64) -> Int32 {
    var next = now + (shuttingDown ? 100_000_000 : 1_000_000_000)
    for kind in [TimerKind.request, .idle, .address] {
      if let entry = timers[kind]?.first { next = min(next, entry.due) }
    }
    if let answer = delayed.first { next = min(next, answer.due) }
    if pausedUntil != 0 { next = min(next, pausedUntil) }
    guard next > now else { return 0 }
    return Int32(clamping: (next - now + 999_999) / 1_000_000)
  }

  // MARK: - Shutdown and status

  private func beginShutdown(_ signal: String) {
    guard !shuttingDown else { return }
    ServeLog.notice("\(signal): no new connections; answering the logins in progress")
    shuttingDown = true
    shutdownDeadline = Deadline.now().nanoseconds + 30_000_000_000
    updateListeners()
    for listener in listeners {
      poller.remove(listener.descriptor)
      ServeSystem.close(listener.descriptor)
    }
    listeners = []
    for case let connection? in connections {
      let quiet = connection.lock.withLock { () -> Bool in
        if connection.inFlight == 0 && connection.output.isEmpty { return true }
        connection.closeWhenWritten = true
        return false
      }
      if quiet {
        close(connection)
      } else {
        setInterest(connection, reading: false)
      }
    }
  }

  /// Nothing left to answer or to write.
  private var isQuiet: Bool {
    let load = workers.load
    return load.queued == 0 && load.busy == 0 && load.results == 0 && parked.isEmpty && delayed.isEmpty
      && connections.allSatisfy { connection in
        guard let connection else { return true }
        return connection.lock.withLock { connection.inFlight == 0 && connection.output.isEmpty }
      }
  }

  private func statusText() -> String {
    let load = workers.load
    status.uptimeSeconds = (Deadline.now().nanoseconds - started.nanoseconds) / 1_000_000_000
    status.queueDepth = load.queued + parked.count
    status.inFlight = load.busy
    status.databaseConnectionsOpen = pool.openConnections
    status.tally = workers.answered
    let counts = store.reloadCounts
    status.reloads = counts.reloads
    status.reloadFailures = counts.failures
    return status.text
  }
}

/// Reloads the configuration on SIGHUP, on a thread of its own: reading a
/// file may wait for it to settle, and making a decoy can take as long as
/// one hash (an Argon2 one, a third of a second), which the event loop must
/// not wait for.
final class Reloader: @unchecked Sendable {
  let store: ServiceConfigurations
  let pool: DatabasePool
  private let monitor = ServeSystem.Monitor()
  private var requested = false
  private var stopping = false
  private var thread: ServeSystem.Thread? = nil

  init(store: ServiceConfigurations, pool: DatabasePool) {
    self.store = store
    self.pool = pool
  }

  func start() throws(SystemError) {
    thread = try ServeSystem.Thread { [self] in run() }
  }

  func request() {
    monitor.withLock {
      requested = true
      monitor.signal()
    }
  }

  func stop() {
    monitor.withLock {
      stopping = true
      monitor.signal()
    }
    thread?.join()
  }

  private func run() {
    while true {
      monitor.lock()
      while !requested && !stopping { monitor.wait() }
      if stopping {
        monitor.unlock()
        return
      }
      requested = false
      monitor.unlock()
      let problems = store.check(reload: true)
      pool.keep(only: store.databaseKeys)
      ServeLog.notice(
        problems.isEmpty
          ? "configuration reloaded" : "configuration reloaded; \(problems.count) file(s) not in force as written")
    }
  }
}
