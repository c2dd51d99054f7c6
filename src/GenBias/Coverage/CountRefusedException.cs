using System;

namespace GenBias;

/// <summary>
/// An exact count that would be correct but not practical (for example a preference's bound where the activation
/// is not provably monotone over too many pre-activations to evaluate one by one). <see cref="Certifier.Certify"/>
/// falls back to a labelled estimate with this message as the certificate's reason; callers of
/// <see cref="CoverageCounter.Count"/> see an <see cref="InvalidOperationException"/>.
/// </summary>
internal sealed class CountRefusedException(string message) : InvalidOperationException(message);
