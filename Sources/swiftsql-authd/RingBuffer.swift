// A first-in first-out queue over a growable ring of slots: append and
// removeFirst in constant time (Array.removeFirst moves every element).

struct RingBuffer<Element> {
  private var slots: [Element?] = Array(repeating: nil, count: 16)
  private var head = 0
  private(set) var count = 0

  var isEmpty: Bool { count == 0 }

  var first: Element? { count > 0 ? slots[head] : nil }

  mutating func append(_ element: Element) {
    if count == slots.count { grow() }
    slots[(head + count) % slots.count] = element
    count += 1
  }

  mutating func removeFirst() -> Element? {
    guard count > 0 else { return nil }
    let element = slots[head]
    slots[head] = nil
    head = (head + 1) % slots.count
    count -= 1
    return element
  }

  private mutating func grow() {
    var larger: [Element?] = Array(repeating: nil, count: slots.count * 2)
    for index in 0..<count { larger[index] = slots[(head + index) % slots.count] }
    slots = larger
    head = 0
  }
}
