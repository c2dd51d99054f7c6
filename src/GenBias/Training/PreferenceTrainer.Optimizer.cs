using System;
using System.Runtime.InteropServices;

namespace GenBias;

public static partial class PreferenceTrainer
{
    private sealed partial class Run
    {
        /// <summary>
        /// Adam (or SGD with momentum) over every parameter (<see cref="OptimizerStep"/>); then the first layer back on the
        /// grid and the kernel's tables rebuilt.
        /// </summary>
        private void ApplyUpdate()
        {
            _step++;
            OptimizerStep.For(_options, _step).Apply(
                ref MemoryMarshal.GetArrayDataReference(_parameters),
                ref MemoryMarshal.GetArrayDataReference(_gradient),
                ref MemoryMarshal.GetArrayDataReference(_moment1),
                ref MemoryMarshal.GetArrayDataReference(_moment2),
                ref MemoryMarshal.GetArrayDataReference(_decay),
                oneDecay: false,
                _parameters.Length);
            TrainingProfile.Lap(TrainingProfile.Phase.Optimizer);
            FixedPointGrid.SnapFirstLayer(_shape, _parameters);
            TrainingProfile.Lap(TrainingProfile.Phase.Snap);
            Project(refresh: _step % _options.ProjectionInterval == 0);
            TrainingProfile.Lap(TrainingProfile.Phase.Project);
            _kernel.SetParameters(_parameters);
            TrainingProfile.Lap(TrainingProfile.Phase.KernelParameters);
        }
    }
}
