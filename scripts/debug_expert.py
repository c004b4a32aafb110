"""Debug: run the scripted expert on one task/init state and print stage progress."""
import sys, time
import envs_mjx  # noqa
import jax, jax.numpy as jnp, numpy as np
from envs_mjx.env import LiberoEnv
from envs_mjx.expert import ScriptedExpert

task = sys.argv[1]; idx = int(sys.argv[2]) if len(sys.argv) > 2 else 0
T = int(sys.argv[3]) if len(sys.argv) > 3 else 520
env = LiberoEnv(task)
ex = ScriptedExpert(env)
def run(i):
    st = env.reset(jax.random.PRNGKey(0), i); es = ex.init(st)
    def body(c, _):
        st, es = c
        a, es = ex.act(es, st)
        st = env.step(st, a)
        return (st, es), (st.ee_pos, a, st.success, es.stage, st.goal, st.data.qpos)
    return jax.lax.scan(body, (st, es), None, length=T)
t0 = time.time()
(st, es), (ee, a, succ, stage, goal, qpos) = jax.jit(run)(idx)
jax.block_until_ready(st)
print(f"compile+run {time.time()-t0:.1f}s  success={bool(st.success)} first_success_step={int(np.argmax(np.array(succ))) if np.any(succ) else -1} final_stage={int(es.stage)}/{ex.num_stages} err={int(st.error)}")
stage = np.array(stage)
chg = np.flatnonzero(np.diff(stage)) + 1
for c in chg[:60]:
    print(f"  t={c} stage->{stage[c]} ee={np.round(np.array(ee[c]),3)} goal={np.array(goal[c]).astype(int)}")
print("final goal", np.array(goal[-1]), "ee", np.array(ee[-1]))
m = env.mj_model
for o in env.task.scene.objects:
    adr = m.jnt_qposadr[m.joint(o.name + '/joint').id]
    print(f"  {o.name}: start {np.round(env.init_qpos[idx][adr:adr+3],3)} end {np.round(np.array(qpos[-1][adr:adr+3]),3)}")
for j in range(m.njnt):
    n = m.joint(j).name
    if 'drawer' in n or 'door' in n or 'knob' in n:
        print(f"  joint {n}: {float(qpos[-1][m.jnt_qposadr[j]]):.3f}")
if len(sys.argv) > 4:
    name = sys.argv[4]; adr = m.jnt_qposadr[m.joint(name + '/joint').id]
    q = np.array(qpos)
    for t in range(0, T, 3):
        if t > int(sys.argv[5]) if len(sys.argv) > 5 else False: break
        if t >= (int(sys.argv[6]) if len(sys.argv) > 6 else 0): print(t, stage[t], np.round(q[t, adr:adr+7], 3), np.round(np.array(ee[t]), 3), np.round(q[t, env.finger_qadr], 4), np.round(q[t, 9+7*len(env.task.scene.objects):], 3))
