import SEVKit
