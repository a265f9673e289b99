package esql

import (
	"math"
)

// The trigonometric, angle and cube-root functions, ATAN2 and HYPOT: each
// takes numbers and returns a double; ASIN and ACOS outside [-1, 1] are
// null with a warning, as Elasticsearch's are.
func init() {
	unary := map[string]func(float64) float64{
		"SIN": math.Sin, "COS": math.Cos, "TAN": math.Tan, "ATAN": math.Atan,
		"SINH": math.Sinh, "COSH": math.Cosh, "TANH": math.Tanh, "CBRT": math.Cbrt,
		"ASIN": math.Asin, "ACOS": math.Acos,
		// Java's Math.toDegrees and toRadians multiply by one constant.
		"TO_DEGREES": func(x float64) float64 { return x * 57.29577951308232 },
		"TO_RADIANS": func(x float64) float64 { return x * 0.017453292519943295 },
	}
	for name, f := range unary {
		bounded := name == "ASIN" || name == "ACOS"
		lower := map[string]string{"ASIN": "asin", "ACOS": "acos"}[name]
		mvFunctions[name] = func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
			if err := c.arity(e, args, 1, 1); err != nil {
				return cexpr{}, err
			}
			if err := c.needKinds(e, args, "n"); err != nil {
				return cexpr{}, err
			}
			return c.scalar(e, Double, args, func(r *Run, self *cexpr, v []any) any {
				x := toFloat(v[0])
				if bounded && (x < -1 || x > 1) {
					r.fail(self, "java.lang.ArithmeticException: "+lower+" requires input between -1 and 1, found ["+formatDouble(x)+"]")
					return nil
				}
				return f(x)
			}), nil
		}
	}
	for name, f := range map[string]func(x, y float64) float64{"ATAN2": math.Atan2, "HYPOT": math.Hypot} {
		mvFunctions[name] = func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
			if err := c.arity(e, args, 2, 2); err != nil {
				return cexpr{}, err
			}
			if err := c.needKinds(e, args, "nn"); err != nil {
				return cexpr{}, err
			}
			return c.scalar(e, Double, args, func(r *Run, self *cexpr, v []any) any {
				return f(toFloat(v[0]), toFloat(v[1]))
			}), nil
		}
	}
	mvFunctions["TAU"] = func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 0, 0); err != nil {
			return cexpr{}, err
		}
		return constExpr(2*math.Pi, Double, e), nil
	}
}
