namespace LabelPlatform.Core.Training;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov and Hutter 2019): the decay shrinks the weights directly instead of
/// being added to the gradient, so Adam's per-weight scaling does not weaken it. Each parameter array gets a gradient
/// array of its shape, which the backward pass fills between <see cref="ZeroGradients"/> and <see cref="Step"/>.
/// </summary>
internal sealed class AdamW(float learningRate)
{
    private const float Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-8f;

    private readonly List<Parameter> _parameters = [];
    private int _step;

    /// <summary>Optimises <paramref name="value"/> in place from now on; returns its gradient array.</summary>
    public float[] Add(float[] value, float weightDecay)
    {
        var parameter = new Parameter(value, weightDecay);
        _parameters.Add(parameter);
        return parameter.Gradient;
    }

    public void ZeroGradients() => _parameters.ForEach(p => Array.Clear(p.Gradient));

    public void Step()
    {
        _step++;
        var correction1 = 1 - MathF.Pow(Beta1, _step);
        var correction2 = 1 - MathF.Pow(Beta2, _step);
        foreach (var p in _parameters)
        {
            p.Update(learningRate, correction1, correction2);
        }
    }

    private sealed class Parameter(float[] value, float weightDecay)
    {
        public float[] Gradient { get; } = new float[value.Length];
        private readonly float[] _m = new float[value.Length];
        private readonly float[] _v = new float[value.Length];

        public void Update(float learningRate, float correction1, float correction2)
        {
            for (var i = 0; i < value.Length; i++)
            {
                var g = Gradient[i];
                _m[i] = (Beta1 * _m[i]) + ((1 - Beta1) * g);
                _v[i] = (Beta2 * _v[i]) + ((1 - Beta2) * g * g);
                value[i] -= learningRate * (((_m[i] / correction1) / (MathF.Sqrt(_v[i] / correction2) + Epsilon)) + (weightDecay * value[i]));
            }
        }
    }
}
