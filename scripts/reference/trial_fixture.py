"""
Writes tests/fixtures/trial/*.csv: a trial-shaped data set in the import format (../shared/spec/import-format.md),
for tests/services/compare/trial.test.ts. 240 patients randomised 1:1 to a transforaminal epidural steroid injection
(64483) or eight weeks of physical therapy (97110) for lumbar radiculopathy (M54.16) at one site; pain NRS and ODI at
baseline and about 2 weeks, 6 weeks, 3, 6 and 12 months with growing dropout; no pain duration, no ZIP, no opioid doses.
Deterministic (seed 7). Run: python3 scripts/reference/trial_fixture.py (from the repository root); then
Rscript scripts/reference/trial_compare.R prints the reference values.
"""
import csv, random, datetime as dt, os
random.seed(7)
OUT=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'fixtures', 'trial')
os.makedirs(OUT, exist_ok=True)
D=lambda d: d.isoformat()
start=dt.date(2021,3,1)
w=lambda name, header, rows: (lambda f: (csv.writer(f).writerow(header), csv.writer(f).writerows(rows)))(open(os.path.join(OUT, f'{name}.csv'),'w',newline=''))
w('sites',['site_id','name'],[['UWSPINE','University Spine Center']])
w('providers',['provider_id','name','specialty','site_id'],[['PR1','A. Rivera, MD','Physiatry','UWSPINE'],['PR2','B. Chen, MD','Anesthesiology','UWSPINE'],['PT1','C. Olsen, DPT','Physical therapy','UWSPINE']])
pats=[];eps=[];trs=[];obs=[]
for i in range(240):
    mrn=f'TRIAL{i+1:04d}'
    age=random.randint(28,82); bd=start-dt.timedelta(days=365*age+random.randint(0,364))
    pats.append([mrn,D(bd),random.choice(['female','male']),''])
    arm='interventional' if i%2==0 else 'conservative'
    idx=start+dt.timedelta(days=random.randint(0,540))
    ep=f'EP{i+1:04d}'
    eps.append([ep,mrn,arm,'M54.16','lumbar','PR1' if arm=='interventional' and i%4==0 else ('PR2' if arm=='interventional' else 'PT1'),'UWSPINE',D(idx),''])
    if arm=='interventional':
        trs.append([f'TR{i}a',ep,D(idx),'epidural_steroid_injection','64483','left','PR2','none' if random.random()>0.03 else 'minor'])
        if random.random()<0.3: trs.append([f'TR{i}b',ep,D(idx+dt.timedelta(days=random.randint(30,120))),'epidural_steroid_injection','64483','left','PR2','none'])
    else:
        for k in range(8): trs.append([f'TR{i}p{k}',ep,D(idx+dt.timedelta(days=7*k)),'physical_therapy','97110','','PT1',''])
    b=random.randint(5,9); odi=random.randint(25,60)
    obs.append([mrn,ep,D(idx-dt.timedelta(days=random.randint(0,7))),'pain_nrs',b])
    obs.append([mrn,ep,D(idx-dt.timedelta(days=random.randint(0,7))),'odi',odi])
    eff={'interventional':[3.0,2.6,2.0,1.4,1.0],'conservative':[1.0,1.6,2.0,1.9,1.8]}[arm]
    for day,e,p in zip([14,42,91,182,365],eff,[0.92,0.88,0.85,0.78,0.7]):
        if random.random()<p:
            d=idx+dt.timedelta(days=day+random.randint(-5,5))
            obs.append([mrn,ep,D(d),'pain_nrs',max(0,min(10,round(b-e+random.gauss(0,1.8))))])
            obs.append([mrn,ep,D(d),'odi',max(0,min(100,round(odi-e*5+random.gauss(0,9))))])
w('patients',['patient_id','birth_date','sex','zip'],pats)
w('episodes',['episode_id','patient_id','care_path','condition_code','region','provider_id','site_id','start_date','pain_duration_months'],eps)
w('treatments',['treatment_id','episode_id','date','category','code','laterality','provider_id','complication'],trs)
w('observations',['patient_id','episode_id','date','measure','value'],obs)
print(len(pats),len(eps),len(trs),len(obs))
