#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's open-file limit (RLIMIT_NOFILE): every connection is a file descriptor, and
/// the usual soft limit (1024) is far below what a load test or its target needs.
package enum FileLimit {
    /// Raises the soft limit to the hard limit; returns the limits in force afterwards.
    /// An unlimited hard limit is reported as `Int.max` (the soft limit then stays as it was,
    /// since the kernel refuses "unlimited" for open files).
    @discardableResult
    package static func raiseToHardLimit() -> (soft: Int, hard: Int) {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return (0, 0) }
        if limit.rlim_cur < limit.rlim_max && limit.rlim_max != Self.infinity {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return (value(limit.rlim_cur), value(limit.rlim_max))
    }

    /// RLIM_INFINITY (all bits set); the C macro does not import into Swift.
    private static let infinity = rlim_t.max

    private static func value(_ v: rlim_t) -> Int {
        v == Self.infinity || v > rlim_t(Int.max) ? Int.max : Int(v)
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
