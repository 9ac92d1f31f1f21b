extension Double {
    /// `10` rather than `10.0` for whole numbers: how error messages quote a number.
    package var plainDecimal: String {
        self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self)
    }
}
